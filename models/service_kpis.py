"""Service KPIs over tickets (DOMAIN.md, "Service KPIs"), grouped and per period. Pure.

Each figure falls in the period of the moment that decides it, so a month's
figures do not change once the month is over, whenever they are read:

- **On-time rate** (response, arrival, resolution): milestones met on time over
  milestones decided in the period. A clock is decided when it is met on time
  (at the milestone) or when it goes late (at its deadline, as fixed when the
  ticket opened and moved only by waits for the customer the contract pauses
  for). A clock still running, or paused, at the end is not counted yet; an
  arrival that was not needed is never counted.
- **First-time fix**: tickets resolved in the period with exactly one site visit
  and never reopened, over tickets resolved in the period with a site visit.
  Tickets resolved remotely (no visit) are in neither.
- **MTTR**: mean of restored - failure from the service report, falling back
  to resolved - received, over repair tickets (emergency repair, general fault,
  spare part replacement) resolved in the period.
- **Repeat-fault rate**: tickets received in the period with a fault code whose
  machine had an earlier ticket with the same fault code received within the 30
  days before, over tickets received in the period with a fault code.
- **Satisfaction**: mean overall score (1-5) of the surveys answered in the period.
- **Complaints**: complaints registered in the period.
- **Backlog and ageing**: tickets open (received, not fixed) at the end of the
  period, by age at that moment.

Grouped by engineer, customer, line model or fault type, figures are those of
the whole period per group; grouped by month, each month of the period is a
group with its own figures and its own backlog at the month's end. A ticket
worked by two engineers counts for each of them.

Like ``models.oee_ratios``, this arithmetic lives with the vocabulary so that the
API, which may not reach into the analytics stage, computes the figures on read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.tickets import SlaClock, SlaClockKind, SlaClockState, TicketStatus, TicketType

REPEAT_WINDOW = timedelta(days=30)
# A fix that ends the work the service promised; a complaint after it is no open work.
FIXED_STATES = frozenset(
    {
        TicketStatus.REPAIRED,
        TicketStatus.RESOLVED_REMOTELY,
        TicketStatus.VERIFIED,
        TicketStatus.SIGNED_OFF,
        TicketStatus.SURVEY,
        TicketStatus.REVIEWED,
        TicketStatus.ARCHIVED,
        TicketStatus.COMPLAINT,
    }
)
REPAIR_TYPES = frozenset(
    {TicketType.EMERGENCY_REPAIR, TicketType.GENERAL_FAULT, TicketType.SPARE_PART}
)
# Backlog age bands: (label, upper bound of the age; None: no bound).
AGE_BANDS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("7-30 days", timedelta(days=30)),
    ("over 30 days", None),
)


class KpiDimension(StrEnum):
    ENGINEER = "engineer"
    CUSTOMER = "customer"
    LINE_MODEL = "line_model"
    FAULT_TYPE = "fault_type"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class GroupKey:
    """One value of a dimension: a stable key and what people read."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class ClockOutcome:
    """A decided SLA clock: on time or late, and the moment that decided it."""

    kind: SlaClockKind
    decided_at: datetime
    on_time: bool


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    answered_at: datetime
    overall: int


@dataclass(frozen=True, slots=True)
class ServiceTicket:
    """What the KPIs need of one ticket, as of the moment the figures are taken."""

    ticket_id: int
    machine_id: str
    ticket_type: TicketType
    received_at: datetime
    customer: GroupKey
    line_model: GroupKey
    fault_type: GroupKey
    engineers: tuple[GroupKey, ...] = ()
    clocks: tuple[ClockOutcome, ...] = ()
    # Status moves in order of time; before the first, the ticket is registered.
    status_changes: tuple[StatusChange, ...] = ()
    resolved_at: datetime | None = None
    site_visits: int = 0
    reopened: bool = False
    fault_code: int | None = None
    # From the service report, when there is one.
    failure_at: datetime | None = None
    restored_at: datetime | None = None
    surveys: tuple[SurveyAnswer, ...] = ()


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint as registered: about a ticket, or about the service in general (None)."""

    registered_at: datetime
    customer: GroupKey
    ticket_id: int | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)``."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Ratio:
    """``hits`` of ``total``; ``rate`` None when there is nothing to rate."""

    hits: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class AgeBand:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class KpiFigures:
    response_on_time: Ratio
    arrival_on_time: Ratio
    resolution_on_time: Ratio
    first_time_fix: Ratio
    mttr: timedelta | None
    repairs: int
    repeat_faults: Ratio
    satisfaction: float | None
    surveys: int
    complaints: int
    backlog: tuple[AgeBand, ...]
    received: int
    resolved: int

    @property
    def backlog_open(self) -> int:
        return sum(band.count for band in self.backlog)


@dataclass(frozen=True, slots=True)
class KpiGroup:
    group: GroupKey
    period: Period
    figures: KpiFigures


@dataclass(frozen=True, slots=True)
class KpiBreakdown:
    dimension: KpiDimension
    period: Period
    total: KpiFigures
    groups: tuple[KpiGroup, ...]


def clock_outcome(clock: SlaClock) -> ClockOutcome | None:
    """The clock as decided, or None while it is still open (running, paused, not needed)."""
    if clock.state is SlaClockState.MET_ON_TIME and clock.met_at is not None:
        return ClockOutcome(clock.kind, clock.met_at, on_time=True)
    if clock.state in (SlaClockState.MET_LATE, SlaClockState.BREACHED):
        # Late from the moment the (pause-moved) deadline passed, however late it is met.
        return ClockOutcome(clock.kind, clock.due_now or clock.due, on_time=False)
    return None


def site_visits(moves: Sequence[tuple[TicketStatus | None, TicketStatus]]) -> int:
    """Arrivals on site among (from, to) status moves.

    Going back on site after waiting for the customer there is the same visit.
    """
    return sum(
        1
        for source, target in moves
        if target is TicketStatus.ON_SITE and source is not TicketStatus.WAITING_FOR_CUSTOMER
    )


def repeat_faults(tickets: Sequence[ServiceTicket]) -> frozenset[int]:
    """Ids of tickets whose machine had a ticket with the same fault code in the 30 days before."""
    seen: dict[tuple[str, int], list[datetime]] = {}
    for ticket in tickets:
        if ticket.fault_code is not None:
            seen.setdefault((ticket.machine_id, ticket.fault_code), []).append(ticket.received_at)
    repeats = set()
    for ticket in tickets:
        if ticket.fault_code is None:
            continue
        earlier = seen[(ticket.machine_id, ticket.fault_code)]
        if any(ticket.received_at - REPEAT_WINDOW <= t < ticket.received_at for t in earlier):
            repeats.add(ticket.ticket_id)
    return frozenset(repeats)


def kpi_figures(
    tickets: Sequence[ServiceTicket],
    period: Period,
    *,
    repeats: frozenset[int],
    complaints: Sequence[Complaint] = (),
) -> KpiFigures:
    """Every KPI of these tickets and complaints over ``period``.

    ``repeats`` are the repeat faults among all tickets (``repeat_faults``), since
    the earlier ticket of a repeat may lie in another group.
    """
    resolved = [t for t in tickets if t.resolved_at is not None and t.resolved_at in period]
    visited = [t for t in resolved if t.site_visits > 0]
    repairs = [d for t in tickets if (d := _repair_time(t, period)) is not None]
    coded = [t for t in tickets if t.fault_code is not None and t.received_at in period]
    answers = [s.overall for t in tickets for s in t.surveys if s.answered_at in period]
    return KpiFigures(
        response_on_time=_on_time(tickets, SlaClockKind.RESPONSE, period),
        arrival_on_time=_on_time(tickets, SlaClockKind.ARRIVAL, period),
        resolution_on_time=_on_time(tickets, SlaClockKind.RESOLUTION, period),
        first_time_fix=Ratio(
            sum(1 for t in visited if t.site_visits == 1 and not t.reopened), len(visited)
        ),
        mttr=sum(repairs, timedelta()) / len(repairs) if repairs else None,
        repairs=len(repairs),
        repeat_faults=Ratio(sum(1 for t in coded if t.ticket_id in repeats), len(coded)),
        satisfaction=sum(answers) / len(answers) if answers else None,
        surveys=len(answers),
        complaints=sum(1 for c in complaints if c.registered_at in period),
        backlog=backlog_at(tickets, period.end),
        received=sum(1 for t in tickets if t.received_at in period),
        resolved=len(resolved),
    )


def service_kpis(
    tickets: Sequence[ServiceTicket],
    *,
    period: Period,
    dimension: KpiDimension,
    zone: ZoneInfo,
    complaints: Sequence[Complaint] = (),
) -> KpiBreakdown:
    """The KPIs over ``period`` in total and per group of ``dimension``.

    ``tickets`` should include those received up to 30 days before the period, so
    that repeats of them are recognised. Months are calendar months in ``zone``.
    """
    repeats = repeat_faults(tickets)
    total = kpi_figures(tickets, period, repeats=repeats, complaints=complaints)
    if dimension is KpiDimension.MONTH:
        groups = tuple(
            KpiGroup(
                key, window, kpi_figures(tickets, window, repeats=repeats, complaints=complaints)
            )
            for key, window in month_windows(period, zone)
        )
    else:
        groups = tuple(
            KpiGroup(key, period, figures)
            for key, members, complained in _partition(tickets, complaints, dimension)
            if _has_figures(
                figures := kpi_figures(members, period, repeats=repeats, complaints=complained)
            )
        )
    return KpiBreakdown(dimension=dimension, period=period, total=total, groups=groups)


def backlog_at(tickets: Sequence[ServiceTicket], moment: datetime) -> tuple[AgeBand, ...]:
    """Tickets open at ``moment`` (received before it, not fixed by then), by age."""
    counts = [0] * len(AGE_BANDS)
    for ticket in tickets:
        if ticket.received_at >= moment or status_at(ticket, moment) in FIXED_STATES:
            continue
        age = moment - ticket.received_at
        index = next(i for i, (_, bound) in enumerate(AGE_BANDS) if bound is None or age < bound)
        counts[index] += 1
    return tuple(AgeBand(label, n) for (label, _), n in zip(AGE_BANDS, counts, strict=True))


def status_at(ticket: ServiceTicket, moment: datetime) -> TicketStatus:
    """The ticket's status just before ``moment``."""
    status = TicketStatus.REGISTERED
    for change in ticket.status_changes:
        if change.at >= moment:
            break
        status = change.status
    return status


def month_windows(period: Period, zone: ZoneInfo) -> Iterator[tuple[GroupKey, Period]]:
    """The calendar months (in ``zone``) the period touches, each cut to the period."""
    local = period.start.astimezone(zone)
    month = date(local.year, local.month, 1)
    while (start := _midnight(month, zone)) < period.end:
        following = _next_month(month)
        window = Period(max(start, period.start), min(_midnight(following, zone), period.end))
        yield GroupKey(f"{month:%Y-%m}", f"{month:%b %Y}"), window
        month = following


def _on_time(tickets: Sequence[ServiceTicket], kind: SlaClockKind, period: Period) -> Ratio:
    decided = [c for t in tickets for c in t.clocks if c.kind is kind and c.decided_at in period]
    return Ratio(sum(1 for c in decided if c.on_time), len(decided))


def _repair_time(ticket: ServiceTicket, period: Period) -> timedelta | None:
    """The ticket's time to repair if it is a repair finished in the period."""
    if ticket.ticket_type not in REPAIR_TYPES:
        return None
    if ticket.failure_at is not None and ticket.restored_at is not None:
        if ticket.restored_at not in period:
            return None
        return max(timedelta(), ticket.restored_at - ticket.failure_at)
    if ticket.resolved_at is None or ticket.resolved_at not in period:
        return None
    return max(timedelta(), ticket.resolved_at - ticket.received_at)


_KEYS: dict[KpiDimension, Callable[[ServiceTicket], tuple[GroupKey, ...]]] = {
    KpiDimension.ENGINEER: lambda t: t.engineers or (GroupKey("", "no field engineer"),),
    KpiDimension.CUSTOMER: lambda t: (t.customer,),
    KpiDimension.LINE_MODEL: lambda t: (t.line_model,),
    KpiDimension.FAULT_TYPE: lambda t: (t.fault_type,),
}


def _partition(
    tickets: Sequence[ServiceTicket], complaints: Sequence[Complaint], dimension: KpiDimension
) -> list[tuple[GroupKey, list[ServiceTicket], list[Complaint]]]:
    """Tickets and complaints by group, ordered by label; a ticket may be in several groups.

    A complaint belongs to its customer, and otherwise to the groups of its ticket;
    one about the service in general has no engineer, line model or fault type.
    """
    keys = _KEYS[dimension]
    members: dict[GroupKey, list[ServiceTicket]] = {}
    for ticket in tickets:
        for key in keys(ticket):
            members.setdefault(key, []).append(ticket)
    complained: dict[GroupKey, list[Complaint]] = {}
    groups_of_ticket = {t.ticket_id: keys(t) for t in tickets}
    for complaint in complaints:
        if dimension is KpiDimension.CUSTOMER:
            complaint_keys: tuple[GroupKey, ...] = (complaint.customer,)
        else:
            complaint_keys = groups_of_ticket.get(complaint.ticket_id or 0, ())
        for key in complaint_keys:
            members.setdefault(key, [])
            complained.setdefault(key, []).append(complaint)
    return [
        (key, members[key], complained.get(key, []))
        for key in sorted(members, key=lambda k: (k.label.casefold(), k.key))
    ]


def _has_figures(figures: KpiFigures) -> bool:
    """Whether anything happened in the group (a group of old, closed tickets is left out)."""
    return bool(
        figures.received
        or figures.resolved
        or figures.response_on_time.total
        or figures.arrival_on_time.total
        or figures.resolution_on_time.total
        or figures.surveys
        or figures.complaints
        or figures.backlog_open
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
