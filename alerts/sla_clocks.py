"""How each SLA clock of a ticket stands: time left or overdue, warning, breach, met. Pure.

Each clock is measured against the deadline fixed when the ticket opened
(DOMAIN.md, "Service levels"). The promised time is the counted time from
receipt to that deadline on the ticket's business calendar; the clock spends it
only while it runs: in working time where the contract counts working time, and
never while the ticket waits for the customer if the contract pauses for that.
A warning goes out at ``WARNING_SHARE`` of the promised time, an escalation at
the breach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.sla_calendar import BusinessCalendar, add_counted_time, counted_time
from models.tickets import Milestones, SlaClock, SlaClockKind, SlaClockState, SlaDeadlines, Span

WARNING_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class ClockInputs:
    """Everything about a ticket that its clocks depend on."""

    received_at: datetime
    deadlines: SlaDeadlines
    milestones: Milestones
    calendar: BusinessCalendar
    # Stretches spent waiting for the customer; they count only if the contract says not.
    paused: Sequence[Span] = ()


def sla_clocks(inputs: ClockInputs, *, now: datetime) -> tuple[SlaClock, ...]:
    """The ticket's response, arrival and resolution clocks as of ``now``.

    A ticket without an arrival deadline ("as agreed") has no arrival clock.
    """
    m = inputs.milestones
    dues = inputs.deadlines
    clocks = [_clock(inputs, SlaClockKind.RESPONSE, dues.response_due, m.responded_at, now)]
    if dues.arrival_due is not None:
        if not m.arrival_needed and m.arrived_at is None:
            clocks.append(_not_needed(SlaClockKind.ARRIVAL, dues.arrival_due))
        else:
            clocks.append(_clock(inputs, SlaClockKind.ARRIVAL, dues.arrival_due, m.arrived_at, now))
    clocks.append(_clock(inputs, SlaClockKind.RESOLUTION, dues.resolution_due, m.resolved_at, now))
    return tuple(clocks)


def clock_notices(clocks: Sequence[SlaClock]) -> list[tuple[SlaClockKind, str]]:
    """The notices due now for open clocks: ("warning" at 80 %, "breach" past the deadline)."""
    notices: list[tuple[SlaClockKind, str]] = []
    for clock in clocks:
        if clock.state is SlaClockState.BREACHED:
            notices += [(clock.kind, "warning"), (clock.kind, "breach")]
        elif clock.state is SlaClockState.WARNING or (
            clock.state is SlaClockState.PAUSED and clock.used >= WARNING_SHARE
        ):
            notices.append((clock.kind, "warning"))
    return notices


def describe_left(left: timedelta) -> str:
    """'2 h 05 min left' or '1 d 3 h overdue', as people read it on a countdown."""
    word = "left" if left >= timedelta() else "overdue"
    minutes = int(abs(left).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h {word}"
    if hours:
        return f"{hours} h {minutes:02d} min {word}"
    return f"{minutes} min {word}"


def _clock(
    inputs: ClockInputs,
    kind: SlaClockKind,
    due: datetime,
    met_at: datetime | None,
    now: datetime,
) -> SlaClock:
    calendar, received, paused = inputs.calendar, inputs.received_at, inputs.paused
    promised = counted_time(calendar, received, due)
    until = met_at if met_at is not None else now
    spent = counted_time(calendar, received, until, paused=paused)
    left = promised - spent
    used = spent / promised if promised > timedelta() else (1.0 if left < timedelta() else 0.0)
    due_now = add_counted_time(calendar, received, promised, paused=paused)
    if met_at is not None:
        state = SlaClockState.MET_ON_TIME if left >= timedelta() else SlaClockState.MET_LATE
    elif left < timedelta():
        state = SlaClockState.BREACHED
    elif any(p.end is None and p.start <= now for p in paused):
        state = SlaClockState.PAUSED
    elif used >= WARNING_SHARE:
        state = SlaClockState.WARNING
    else:
        state = SlaClockState.RUNNING
    return SlaClock(
        kind=kind, state=state, due=due, due_now=due_now, left=left, used=used, met_at=met_at
    )


def _not_needed(kind: SlaClockKind, due: datetime) -> SlaClock:
    return SlaClock(
        kind=kind,
        state=SlaClockState.NOT_NEEDED,
        due=due,
        due_now=None,
        left=timedelta(),
        used=0.0,
        met_at=None,
    )
