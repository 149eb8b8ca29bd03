"""/api/v1/service-costs: service cost KPIs split by warranty and billable work, per
customer, line model or month.

For the service desk, support, the parts manager and administrators; customers and
field engineers get 403 (internal costs). Definitions: docs/service_kpis.md, "Service
costs".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import ConnDep, CurrentUser, PlantDep
from api.routers.service_kpis import service_zone
from api.schemas.service_costs import ServiceCostsPublic
from api.ticket_clock import NowDep
from api.ticket_cost_facts import costed_tickets
from models.service_costs import CostDimension, service_cost_kpis
from models.users import Role
from storage import ticket_cost_store

router = APIRouter(tags=["service KPIs"])

_MAY_SEE = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN, Role.PARTS_MANAGER})
_LONGEST = timedelta(days=3 * 366)


@router.get("/service-costs")
async def service_costs(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    group_by: Annotated[CostDimension, Query(description="How the figures are grouped")] = (
        CostDimension.MONTH
    ),
    first_day: Annotated[
        date | None,
        Query(alias="from", description="First day (service time zone); default: 6 months back"),
    ] = None,
    last_day: Annotated[
        date | None, Query(alias="to", description="Last day, included; default: today")
    ] = None,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
) -> ServiceCostsPublic:
    """Labour hours, travel, parts at cost, and the value at the contracts' rates, for
    warranty work (the service's own cost) and billable work (charged), over whole days."""
    if user.role not in _MAY_SEE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"service costs are internal, not for a {user.role}"
        )
    zone = service_zone(plant)
    last = last_day or now.astimezone(zone).date()
    first = first_day or _months_back(date(last.year, last.month, 1), 5)
    if first > last:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'from' lies after 'to'")
    if last - first > _LONGEST:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the range may cover at most three years"
        )
    records = await ticket_cost_store.tickets_with_costs(
        conn,
        since=_midnight(first, zone),
        until=_midnight(last + timedelta(days=1), zone),
        first_day=first,
        last_day=last,
        customer_id=customer_id,
    )
    tickets = await costed_tickets(conn, plant, records, zone=zone)
    breakdown = service_cost_kpis(tickets, first_day=first, last_day=last, dimension=group_by)
    return ServiceCostsPublic.of(breakdown, timezone=zone.key)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)
