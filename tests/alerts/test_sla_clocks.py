"""SLA clocks: time left or overdue, the 80 % warning, breach, pauses, met on time or late."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from alerts.sla_calendar import BusinessCalendar, WorkingHours, around_the_clock
from alerts.sla_clocks import ClockInputs, clock_notices, describe_left, sla_clocks
from models.tickets import Milestones, SlaClockKind, SlaClockState, SlaDeadlines, Span

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
DUES = SlaDeadlines(
    response_due=T0 + timedelta(hours=2),
    arrival_due=T0 + timedelta(hours=24),
    resolution_due=T0 + timedelta(hours=72),
)


NOTHING_MET = Milestones()


def _inputs(
    milestones: Milestones = NOTHING_MET,
    paused: tuple[Span, ...] = (),
    calendar: BusinessCalendar | None = None,
) -> ClockInputs:
    return ClockInputs(
        received_at=T0,
        deadlines=DUES,
        milestones=milestones,
        calendar=calendar or around_the_clock(),
        paused=paused,
    )


def _by_kind(inputs: ClockInputs, now: datetime) -> dict[SlaClockKind, SlaClockState]:
    return {c.kind: c.state for c in sla_clocks(inputs, now=now)}


def test_fresh_ticket_runs_every_clock_with_time_left() -> None:
    clocks = sla_clocks(_inputs(), now=T0 + timedelta(minutes=2))

    assert [c.state for c in clocks] == [SlaClockState.RUNNING] * 3
    assert clocks[0].left == timedelta(hours=1, minutes=58)
    assert describe_left(clocks[0].left) == "1 h 58 min left"


def test_warning_at_80_percent_and_breach_past_the_deadline() -> None:
    warned = sla_clocks(_inputs(), now=T0 + timedelta(minutes=96))
    breached = sla_clocks(_inputs(), now=T0 + timedelta(hours=3))

    assert warned[0].state is SlaClockState.WARNING
    assert clock_notices(warned) == [(SlaClockKind.RESPONSE, "warning")]
    assert breached[0].state is SlaClockState.BREACHED
    assert describe_left(breached[0].left) == "1 h 00 min overdue"
    assert (SlaClockKind.RESPONSE, "breach") in clock_notices(breached)


def test_met_milestones_record_on_time_or_late() -> None:
    milestones = Milestones(
        responded_at=T0 + timedelta(minutes=30), arrived_at=T0 + timedelta(hours=30)
    )

    states = _by_kind(_inputs(milestones), now=T0 + timedelta(hours=40))

    assert states == {
        SlaClockKind.RESPONSE: SlaClockState.MET_ON_TIME,
        SlaClockKind.ARRIVAL: SlaClockState.MET_LATE,
        SlaClockKind.RESOLUTION: SlaClockState.RUNNING,
    }


def test_resolved_remotely_needs_no_arrival() -> None:
    milestones = Milestones(
        responded_at=T0, resolved_at=T0 + timedelta(hours=5), arrival_needed=False
    )

    states = _by_kind(_inputs(milestones), now=T0 + timedelta(hours=48))

    assert states[SlaClockKind.ARRIVAL] is SlaClockState.NOT_NEEDED
    assert states[SlaClockKind.RESOLUTION] is SlaClockState.MET_ON_TIME


def test_waiting_for_the_customer_pauses_and_moves_the_deadline() -> None:
    waited = (Span(T0 + timedelta(minutes=30), T0 + timedelta(hours=5)),)
    waiting = (Span(T0 + timedelta(minutes=30), None),)

    after_wait = sla_clocks(_inputs(paused=waited), now=T0 + timedelta(hours=5, minutes=30))
    during_wait = sla_clocks(_inputs(paused=waiting), now=T0 + timedelta(hours=5))

    assert after_wait[0].state is SlaClockState.RUNNING
    assert after_wait[0].due_now == T0 + timedelta(hours=6, minutes=30)
    assert after_wait[0].due == DUES.response_due  # the promise itself never moves
    assert during_wait[0].state is SlaClockState.PAUSED
    assert during_wait[0].due_now is None
    assert during_wait[0].left == timedelta(hours=1, minutes=30)


def test_a_clock_breached_before_the_pause_stays_breached() -> None:
    late_pause = (Span(T0 + timedelta(hours=3), None),)

    clocks = sla_clocks(_inputs(paused=late_pause), now=T0 + timedelta(hours=10))

    assert clocks[0].state is SlaClockState.BREACHED
    assert clocks[0].due_now == DUES.response_due


def test_working_time_clock_stands_still_overnight() -> None:
    office = BusinessCalendar(
        timezone="UTC",
        working_days=frozenset({1, 2, 3, 4, 5}),
        hours=(WorkingHours(time(8), time(17)),),
    )
    evening = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    dues = SlaDeadlines(
        response_due=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        arrival_due=None,
        resolution_due=datetime(2026, 3, 4, 17, 0, tzinfo=UTC),
    )
    inputs = ClockInputs(evening, dues, Milestones(), office)

    at_midnight = sla_clocks(inputs, now=datetime(2026, 3, 3, 0, 0, tzinfo=UTC))

    assert [c.kind for c in at_midnight] == [SlaClockKind.RESPONSE, SlaClockKind.RESOLUTION]
    assert at_midnight[0].left == timedelta(hours=1)
    assert at_midnight[0].used == 0.5
