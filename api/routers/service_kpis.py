"""/api/v1/kpis/service: service KPIs per engineer, customer, line model, fault type or month,
and the monthly service review as PDF or CSV.

The service desk, technical support and administrators see every customer. A
customer user sees the figures of their own customer only, never anyone
else's, and no figures per engineer (staffing is internal). Field engineers
have no KPI access. Definitions: docs/service_kpis.md.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from alerts.ticket_sla import ticket_clocks
from api.access_scope import customer_filter
from api.deps import ConnDep, CurrentUser, PlantDep
from api.schemas.service_kpis import KpiGroupPublic, ServiceKpisPublic, ServiceReviewPublic
from api.service_days import FirstDay, LastDay, day_range
from api.service_review_csv import render_review_csv
from api.service_review_pdf import render_review_pdf
from api.ticket_clock import NowDep
from models.calendar_days import midnight, months_after
from models.plant import Plant
from models.service_kpis import (
    ClockOutcome,
    Complaint,
    GroupKey,
    KpiDimension,
    Period,
    ServiceTicket,
    StatusChange,
    SurveyAnswer,
    clock_outcome,
    month_windows,
    service_kpis,
    site_visits,
)
from models.tickets import TicketStatus
from models.users import Role, User
from storage import service_kpi_reader
from storage.connections import Connection
from storage.customer_scope import CustomerScope
from storage.service_kpi_reader import ComplaintRecord, TicketServiceHistory

router = APIRouter(prefix="/kpis/service", tags=["service KPIs"])

_MAY_SEE = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN, Role.CUSTOMER})
_TREND_MONTHS = 6
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@router.get("")
async def service_kpis_report(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    group_by: Annotated[KpiDimension, Query(description="How the figures are grouped")] = (
        KpiDimension.MONTH
    ),
    first_day: FirstDay = None,
    last_day: LastDay = None,
) -> ServiceKpisPublic:
    """The service KPIs over whole days ``from``-``to``, in total and per group."""
    customer = _kpi_scope(user, group_by)
    zone = service_zone(plant)
    days = day_range(first_day, last_day, now=now, zone=zone)
    period = _clipped(Period(days.since, days.until), now)
    tickets, complaints = await _load(conn, plant, period, customer=customer, now=now)
    breakdown = service_kpis(
        tickets, period=period, dimension=group_by, zone=zone, complaints=complaints
    )
    return ServiceKpisPublic.of(breakdown, timezone=zone.key, customer_id=customer)


@router.get(
    "/review",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}, "text/csv": {}},
            "description": "The monthly service review as a PDF or CSV download",
        }
    },
)
async def service_review(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    month: Annotated[str, Query(description="The month reviewed, YYYY-MM")],
    file_format: Annotated[Literal["pdf", "csv"], Query(alias="format")] = "pdf",
) -> Response:
    """The month's service review: figures against the month before, six months' trend,
    and the month per customer, line model, fault type and (staff only) engineer."""
    customer = _kpi_scope(user, KpiDimension.MONTH)
    review = await build_review(conn, plant, month=month, customer=customer, now=now)
    name = f"service-review-{review.month}{'-' + customer if customer else ''}.{file_format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "csv":
        return Response(
            render_review_csv(review), media_type="text/csv; charset=utf-8", headers=disposition
        )
    content = await run_in_threadpool(render_review_pdf, review)
    return Response(content, media_type="application/pdf", headers=disposition)


async def build_review(
    conn: Connection, plant: Plant, *, month: str, customer: str | None, now: datetime
) -> ServiceReviewPublic:
    """The review of ``month`` (YYYY-MM); 422 for a malformed month or one not begun yet."""
    matched = _MONTH.match(month)
    if matched is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"month {month!r} is not of the form YYYY-MM"
        )
    zone = service_zone(plant)
    first = date(int(matched[1]), int(matched[2]), 1)
    start = midnight(first, zone)
    if start > now:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{month} has not begun yet")
    end = midnight(months_after(first, 1), zone)
    period = _clipped(Period(start, end), now)
    trend_period = Period(midnight(months_after(first, 1 - _TREND_MONTHS), zone), period.end)
    tickets, complaints = await _load(conn, plant, trend_period, customer=customer, now=now)

    def groups(dimension: KpiDimension, over: Period) -> list[KpiGroupPublic]:
        breakdown = service_kpis(
            tickets, period=over, dimension=dimension, zone=zone, complaints=complaints
        )
        return [KpiGroupPublic.of(g) for g in breakdown.groups]

    trend = groups(KpiDimension.MONTH, trend_period)
    label = next(key.label for key, _ in month_windows(period, zone))
    return ServiceReviewPublic(
        month=month,
        month_label=label,
        since=period.start,
        until=period.end,
        timezone=zone.key,
        customer_id=customer,
        month_figures=trend[-1].figures,
        previous_month=trend[-2],
        trend=trend,
        by_customer=groups(KpiDimension.CUSTOMER, period),
        by_line_model=groups(KpiDimension.LINE_MODEL, period),
        by_fault_type=groups(KpiDimension.FAULT_TYPE, period),
        by_engineer=[] if customer else groups(KpiDimension.ENGINEER, period),
    )


def service_zone(plant: Plant) -> ZoneInfo:
    """Months and days are those of the service organisation: the zone of the first site."""
    for _, site, _ in plant.lines():
        return ZoneInfo(site.timezone)
    return ZoneInfo("UTC")


def _kpi_scope(user: User, dimension: KpiDimension) -> str | None:
    """The customer the figures are confined to (None: all); 403 where the user may not look."""
    if user.role not in _MAY_SEE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"service KPIs are for the service desk, not a {user.role}"
        )
    confined = customer_filter(user)
    if confined is not None and dimension is KpiDimension.ENGINEER:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "figures per engineer are for the service desk only"
        )
    return confined


async def _load(
    conn: Connection, plant: Plant, period: Period, *, customer: str | None, now: datetime
) -> tuple[list[ServiceTicket], list[Complaint]]:
    scope = CustomerScope(customer_id=customer)
    histories = await service_kpi_reader.ticket_histories(
        conn, since=period.start, until=period.end, scope=scope
    )
    records = await service_kpi_reader.complaints_between(
        conn, since=period.start, until=period.end, scope=scope
    )
    customers = {c.id: c.name for c in plant.customers}
    tickets = [_service_ticket(h, plant, customers, now) for h in histories]
    return tickets, [_complaint(r, customers) for r in records]


def _service_ticket(
    history: TicketServiceHistory, plant: Plant, customers: dict[str, str], now: datetime
) -> ServiceTicket:
    ticket, draft = history.ticket, history.ticket.draft
    try:
        line_model = plant.placement_of(draft.machine_id).line.model
        clocks = ticket_clocks(ticket, plant, waits=history.waits, now=now)
    except KeyError:  # a machine no longer in the plant file: no calendar to measure on
        line_model, clocks = "unknown line model", ()
    outcomes: tuple[ClockOutcome, ...] = tuple(
        o for c in clocks if (o := clock_outcome(c)) is not None
    )
    survey = (
        (SurveyAnswer(history.survey_answered_at, history.survey_overall),)
        if history.survey_answered_at is not None and history.survey_overall is not None
        else ()
    )
    return ServiceTicket(
        ticket_id=ticket.id,
        machine_id=draft.machine_id,
        ticket_type=draft.ticket_type,
        received_at=draft.received_at,
        customer=GroupKey(draft.customer_id, customers.get(draft.customer_id, draft.customer_id)),
        line_model=GroupKey(line_model, line_model),
        fault_type=_fault_type(history, plant),
        engineers=tuple(GroupKey(e.login, e.display_name) for e in history.engineers),
        clocks=outcomes,
        status_changes=tuple(StatusChange(m.at, m.target) for m in history.moves),
        resolved_at=ticket.work.milestones.resolved_at,
        site_visits=site_visits([(m.source, m.target) for m in history.moves]),
        reopened=any(m.target is TicketStatus.REOPENED for m in history.moves),
        fault_code=history.fault_code,
        failure_at=history.failure_at,
        restored_at=history.restored_at,
        surveys=survey,
    )


def _fault_type(history: TicketServiceHistory, plant: Plant) -> GroupKey:
    """The PLC fault the machine stopped on; without one, the ticket's type."""
    code = history.fault_code
    if code is not None:
        return GroupKey(f"fault-{code}", f"{code} {plant.fault_reasons.get(code, 'fault')}")
    kind = history.ticket.draft.ticket_type
    return GroupKey(f"type-{kind}", f"{kind.replace('_', ' ')} (no fault code)")


def _complaint(record: ComplaintRecord, customers: dict[str, str]) -> Complaint:
    name = customers.get(record.customer_id, record.customer_id)
    return Complaint(record.registered_at, GroupKey(record.customer_id, name), record.ticket_id)


def _clipped(period: Period, now: datetime) -> Period:
    """The period up to now at most: the backlog of a month not over yet is today's."""
    return Period(period.start, max(period.start, min(period.end, now)))
