"""/api/v1/service-costs: service cost KPIs split by warranty and billable work, per
customer, line model or month.

For the service desk, support, the parts manager and administrators; customers and
field engineers get 403 (internal costs). Definitions: docs/service_kpis.md, "Service
costs".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import ConnDep, CurrentUser, PlantDep
from api.routers.service_kpis import service_zone
from api.schemas.service_costs import ServiceCostsPublic
from api.service_days import FirstDay, LastDay, day_range
from api.ticket_clock import NowDep
from api.ticket_cost_facts import costed_tickets
from models.service_costs import CostDimension, service_cost_kpis
from models.users import Role
from storage import ticket_cost_store

router = APIRouter(tags=["service KPIs"])

_MAY_SEE = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN, Role.PARTS_MANAGER})


@router.get("/service-costs")
async def service_costs(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    group_by: Annotated[CostDimension, Query(description="How the figures are grouped")] = (
        CostDimension.MONTH
    ),
    first_day: FirstDay = None,
    last_day: LastDay = None,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
) -> ServiceCostsPublic:
    """Labour hours, travel, parts at cost, and the value at the contracts' rates, for
    warranty work (the service's own cost) and billable work (charged), over whole days."""
    if user.role not in _MAY_SEE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"service costs are internal, not for a {user.role}"
        )
    zone = service_zone(plant)
    days = day_range(first_day, last_day, now=now, zone=zone)
    records = await ticket_cost_store.tickets_with_costs(
        conn,
        since=days.since,
        until=days.until,
        first_day=days.first,
        last_day=days.last,
        customer_id=customer_id,
    )
    tickets = await costed_tickets(conn, plant, records, zone=zone)
    breakdown = service_cost_kpis(
        tickets, first_day=days.first, last_day=days.last, dimension=group_by
    )
    return ServiceCostsPublic.of(breakdown, timezone=zone.key)
