"""Service KPIs on hand-made tickets: on-time rates, first-time fix, MTTR, repeats, backlog."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.sla_calendar import around_the_clock
from alerts.sla_clocks import ClockInputs, sla_clocks
from models.service_kpis import (
    ClockOutcome,
    Complaint,
    GroupKey,
    KpiDimension,
    KpiFigures,
    Period,
    ServiceTicket,
    StatusChange,
    SurveyAnswer,
    backlog_at,
    clock_outcome,
    kpi_figures,
    month_windows,
    repeat_faults,
    service_kpis,
    site_visits,
)
from models.tickets import (
    Milestones,
    SlaClock,
    SlaClockKind,
    SlaClockState,
    SlaDeadlines,
    Span,
    TicketStatus,
    TicketType,
)

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = Period(datetime(2026, 3, 1, tzinfo=BERLIN), datetime(2026, 4, 1, tzinfo=BERLIN))
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NORDBRAU = GroupKey("nordbrau", "Nordbräu")
ALPENPACK = GroupKey("alpenpack", "Alpenpack")
MUELLER = GroupKey("eng-mueller", "J. Mueller")
SILVA = GroupKey("eng-silva", "A. Silva")
R, A, S = SlaClockKind.RESPONSE, SlaClockKind.ARRIVAL, SlaClockKind.RESOLUTION
_ids = iter(range(1, 10_000))


def ticket(**changes: object) -> ServiceTicket:
    base = ServiceTicket(
        ticket_id=next(_ids),
        machine_id="l1-filler",
        ticket_type=TicketType.GENERAL_FAULT,
        received_at=T0,
        customer=NORDBRAU,
        line_model=GroupKey("FL-3000", "FL-3000"),
        fault_type=GroupKey("type:general_fault", "general fault"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def fixed(at: datetime, *, visits: int = 1, **changes: object) -> ServiceTicket:
    """A ticket repaired at ``at`` after ``visits`` site visits."""
    return ticket(
        resolved_at=at,
        site_visits=visits,
        status_changes=(StatusChange(at, TicketStatus.REPAIRED),),
        **changes,
    )


def figures(*tickets: ServiceTicket, period: Period = MARCH) -> KpiFigures:
    return kpi_figures(tickets, period, repeats=repeat_faults(tickets))


def test_no_tickets_gives_no_rates_and_an_empty_backlog() -> None:
    result = figures()

    assert result.response_on_time.rate is None
    assert result.first_time_fix.rate is None
    assert result.mttr is None
    assert result.satisfaction is None
    assert result.repeat_faults.rate is None
    assert (result.complaints, result.backlog_open, result.received, result.resolved) == (
        0,
        0,
        0,
        0,
    )
    breakdown = service_kpis([], period=MARCH, dimension=KpiDimension.CUSTOMER, zone=BERLIN)
    assert breakdown.groups == ()


def test_on_time_rate_counts_milestones_decided_in_the_period() -> None:
    result = figures(
        ticket(clocks=(ClockOutcome(R, T0 + timedelta(minutes=20), on_time=True),)),
        ticket(clocks=(ClockOutcome(R, T0 + timedelta(hours=1), on_time=False),)),
        ticket(clocks=(ClockOutcome(R, T0 + timedelta(minutes=5), on_time=True),)),
        # Decided in April: not March's.
        ticket(clocks=(ClockOutcome(R, datetime(2026, 4, 2, tzinfo=UTC), on_time=True),)),
        ticket(clocks=(ClockOutcome(S, T0 + timedelta(hours=5), on_time=True),)),
    )

    assert (result.response_on_time.hits, result.response_on_time.total) == (2, 3)
    assert result.response_on_time.rate == 2 / 3
    assert result.resolution_on_time.rate == 1.0
    assert result.arrival_on_time.total == 0


def _clock(
    kind: SlaClockKind, milestones: Milestones, paused: tuple[Span, ...], now: datetime
) -> SlaClock:
    dues = SlaDeadlines(T0 + timedelta(hours=2), T0 + timedelta(hours=24), T0 + timedelta(hours=48))
    inputs = ClockInputs(T0, dues, milestones, around_the_clock(), paused)
    return next(c for c in sla_clocks(inputs, now=now) if c.kind is kind)


def test_a_paused_clock_is_not_decided_and_a_pause_moves_the_deadline() -> None:
    waiting = (Span(T0 + timedelta(minutes=30), None),)
    paused = _clock(R, Milestones(), waiting, now=T0 + timedelta(hours=5))
    assert paused.state is SlaClockState.PAUSED
    assert clock_outcome(paused) is None

    # Waited 3 h for the customer, answered at 4 h: on time against the moved deadline.
    waited = (Span(T0 + timedelta(minutes=30), T0 + timedelta(hours=3, minutes=30)),)
    met = _clock(
        R, Milestones(responded_at=T0 + timedelta(hours=4)), waited, T0 + timedelta(hours=6)
    )
    outcome = clock_outcome(met)
    assert outcome == ClockOutcome(R, T0 + timedelta(hours=4), on_time=True)


def test_a_late_clock_is_decided_when_its_deadline_passed_not_when_it_was_met() -> None:
    late = _clock(
        S,
        Milestones(resolved_at=datetime(2026, 4, 3, tzinfo=UTC)),
        (),
        now=datetime(2026, 4, 5, tzinfo=UTC),
    )
    assert late.state is SlaClockState.MET_LATE
    assert clock_outcome(late) == ClockOutcome(S, T0 + timedelta(hours=48), on_time=False)

    breached = _clock(S, Milestones(), (), now=T0 + timedelta(hours=50))
    assert clock_outcome(breached) == ClockOutcome(S, T0 + timedelta(hours=48), on_time=False)
    running = _clock(S, Milestones(), (), now=T0 + timedelta(hours=1))
    assert clock_outcome(running) is None


def test_first_time_fix_needs_one_visit_and_no_reopen_and_ignores_remote_fixes() -> None:
    day = T0 + timedelta(days=1)
    result = figures(
        fixed(day, visits=1),
        fixed(day, visits=2),  # came back with the parts
        fixed(day, visits=1, reopened=True),
        fixed(day, visits=0),  # resolved remotely
        ticket(site_visits=1),  # not resolved yet
    )

    assert (result.first_time_fix.hits, result.first_time_fix.total) == (1, 3)


def test_mttr_takes_the_service_report_times_and_falls_back_to_received_to_resolved() -> None:
    result = figures(
        fixed(
            T0 + timedelta(hours=30),
            failure_at=T0 - timedelta(hours=1),
            restored_at=T0 + timedelta(hours=3),
        ),
        fixed(T0 + timedelta(hours=8)),
        fixed(T0 + timedelta(hours=2), ticket_type=TicketType.TRAINING),  # no repair
    )

    assert result.repairs == 2
    assert result.mttr == timedelta(hours=6)  # (4 h + 8 h) / 2


def test_repeat_fault_is_same_machine_and_code_within_30_days() -> None:
    first = ticket(fault_code=201, received_at=datetime(2026, 2, 20, tzinfo=UTC))
    repeat = ticket(fault_code=201, received_at=datetime(2026, 3, 10, tzinfo=UTC))
    other_code = ticket(fault_code=101, received_at=datetime(2026, 3, 11, tzinfo=UTC))
    other_machine = ticket(
        fault_code=201, machine_id="l2-filler", received_at=datetime(2026, 3, 12, tzinfo=UTC)
    )
    too_late = ticket(
        fault_code=101, received_at=datetime(2026, 4, 11, 1, tzinfo=UTC)
    )  # 31 days after
    no_code = ticket(received_at=datetime(2026, 3, 13, tzinfo=UTC))

    assert repeat_faults([first, repeat, other_code, other_machine, too_late, no_code]) == {
        repeat.ticket_id
    }
    result = figures(first, repeat, other_code, other_machine, no_code)
    assert (result.repeat_faults.hits, result.repeat_faults.total) == (1, 3)


def test_backlog_counts_tickets_open_at_the_period_end_by_age() -> None:
    end = MARCH.end
    tickets = [
        ticket(received_at=end - timedelta(hours=3)),
        ticket(received_at=end - timedelta(days=2)),
        ticket(received_at=end - timedelta(days=40)),
        # Fixed before the end, reopened after it: not open at the end.
        ticket(
            received_at=end - timedelta(days=5),
            status_changes=(
                StatusChange(end - timedelta(days=1), TicketStatus.REPAIRED),
                StatusChange(end + timedelta(days=1), TicketStatus.REOPENED),
            ),
        ),
        # Reopened before the end: open again.
        ticket(
            received_at=end - timedelta(days=5),
            status_changes=(
                StatusChange(end - timedelta(days=4), TicketStatus.REPAIRED),
                StatusChange(end - timedelta(days=3), TicketStatus.REOPENED),
            ),
        ),
        ticket(received_at=end + timedelta(hours=1)),  # after the end
    ]

    bands = {band.label: band.count for band in backlog_at(tickets, end)}

    assert bands == {
        "under 1 day": 1,
        "1-3 days": 1,
        "3-7 days": 1,
        "7-30 days": 0,
        "over 30 days": 1,
    }


def test_satisfaction_and_complaints_count_in_the_period_they_happened() -> None:
    result = figures(
        ticket(
            surveys=(
                SurveyAnswer(T0 + timedelta(days=3), 5),
                SurveyAnswer(datetime(2026, 4, 3, tzinfo=UTC), 1),
            ),
        ),
        ticket(surveys=(SurveyAnswer(T0 + timedelta(days=5), 3),)),
    )

    assert (result.satisfaction, result.surveys) == (4.0, 2)


def test_complaints_count_for_their_customer_and_the_groups_of_their_ticket() -> None:
    worked = fixed(T0 + timedelta(days=1), engineers=(MUELLER,))
    complaints = [
        Complaint(T0 + timedelta(days=4), NORDBRAU, worked.ticket_id),
        Complaint(T0 + timedelta(days=5), ALPENPACK),  # about the service in general
        Complaint(datetime(2026, 4, 5, tzinfo=UTC), NORDBRAU, worked.ticket_id),  # April
    ]

    def count(dimension: KpiDimension) -> dict[str, int]:
        breakdown = service_kpis(
            [worked], period=MARCH, dimension=dimension, zone=BERLIN, complaints=complaints
        )
        assert breakdown.total.complaints == 2
        return {g.group.key: g.figures.complaints for g in breakdown.groups}

    assert count(KpiDimension.CUSTOMER) == {"alpenpack": 1, "nordbrau": 1}
    assert count(KpiDimension.ENGINEER) == {"eng-mueller": 1}
    assert count(KpiDimension.MONTH) == {"2026-03": 2}


def test_months_are_calendar_months_in_the_zone_with_their_own_backlog() -> None:
    period = Period(datetime(2026, 2, 15, tzinfo=BERLIN), datetime(2026, 4, 10, tzinfo=BERLIN))
    late_feb = datetime(2026, 2, 28, 23, 30, tzinfo=BERLIN)  # 22:30 UTC: still February
    tickets = [
        ticket(received_at=late_feb),
        fixed(datetime(2026, 3, 20, tzinfo=UTC), received_at=datetime(2026, 3, 3, tzinfo=UTC)),
    ]

    breakdown = service_kpis(tickets, period=period, dimension=KpiDimension.MONTH, zone=BERLIN)

    assert [g.group.key for g in breakdown.groups] == ["2026-02", "2026-03", "2026-04"]
    assert [g.figures.received for g in breakdown.groups] == [1, 1, 0]
    assert [g.figures.resolved for g in breakdown.groups] == [0, 1, 0]
    assert [g.figures.backlog_open for g in breakdown.groups] == [1, 1, 1]
    assert breakdown.groups[0].period.start == period.start
    assert breakdown.groups[-1].period.end == period.end
    # DST starts on 29 March: April begins at 22:00 UTC, not 23:00.
    march = breakdown.groups[1].period
    assert march.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert breakdown.total.received == 2


def test_month_windows_of_a_period_inside_one_month() -> None:
    inside = Period(datetime(2026, 3, 5, tzinfo=BERLIN), datetime(2026, 3, 6, tzinfo=BERLIN))

    assert [(k.label, w) for k, w in month_windows(inside, BERLIN)] == [("Mar 2026", inside)]


def test_groups_by_engineer_count_a_shared_ticket_for_each_and_drop_idle_groups() -> None:
    day = T0 + timedelta(days=1)
    tickets = [
        fixed(day, engineers=(MUELLER, SILVA)),
        fixed(day, engineers=(SILVA,), visits=2),
        ticket(
            received_at=datetime(2025, 1, 5, tzinfo=UTC),
            customer=ALPENPACK,
            status_changes=(StatusChange(datetime(2025, 1, 6, tzinfo=UTC), TicketStatus.ARCHIVED),),
        ),
        ticket(),  # open, nobody assigned yet
    ]

    by_engineer = service_kpis(tickets, period=MARCH, dimension=KpiDimension.ENGINEER, zone=BERLIN)
    by_customer = service_kpis(tickets, period=MARCH, dimension=KpiDimension.CUSTOMER, zone=BERLIN)

    rates = {g.group.label: g.figures.first_time_fix.rate for g in by_engineer.groups}
    assert rates == {"A. Silva": 0.5, "J. Mueller": 1.0, "no field engineer": None}
    assert by_engineer.total.first_time_fix.rate == 0.5
    # Alpenpack's only ticket was closed long before March: no group of its own.
    assert [g.group.key for g in by_customer.groups] == ["nordbrau"]


def test_site_visits_count_arrivals_not_returns_from_waiting_on_site() -> None:
    on_site, waiting, parts = (
        TicketStatus.ON_SITE,
        TicketStatus.WAITING_FOR_CUSTOMER,
        TicketStatus.WAITING_FOR_PARTS,
    )
    moves = [
        (TicketStatus.EN_ROUTE, on_site),
        (on_site, waiting),
        (waiting, on_site),  # the customer answered while the engineer was there
        (on_site, parts),
        (parts, on_site),  # back with the part: a second visit
    ]

    assert site_visits(moves) == 2
    assert site_visits([]) == 0
