"""The alert cycle on a real TimescaleDB: an early warning becomes exactly one service ticket."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.alert_job import run_alert_cycle
from alerts.anomaly_rules import SustainedAnomalyRule
from models.alerts import AlertStatus
from models.plant import Plant, Severity
from models.tickets import Channel, TicketStatus, TicketType
from storage.alert_store import list_alerts
from storage.anomaly_store import insert_scores
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from storage.ticket_store import get_ticket, list_tickets, ticket_events
from tests.alerts.factories import FRIDAY_0800, HEALTHY, WINDOW, score_series
from tests.api.factories import insert_ticket

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
NOW = FRIDAY_0800 + timedelta(minutes=20)
# The rule raises after this many anomalous observations (ten, 5 min apart).
RAISE_AFTER = SustainedAnomalyRule().raise_after
# The anomalous observations end 07:35-08:20: the last of the run at NOW.
ANOMALY_START = NOW - RAISE_AFTER * WINDOW


@pytest.fixture
async def monitored(db_pool: Pool, plant: Plant) -> Pool:
    """A database that knows the plant, with a degrading filler and a healthy capper."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_scores(
            conn,
            scores=score_series("l1-filler", start=ANOMALY_START, windows=RAISE_AFTER, score=0.7),
        )
        await insert_scores(
            conn,
            scores=score_series(
                "l1-capper",
                start=ANOMALY_START,
                windows=RAISE_AFTER,
                score=0.1,
                deviations=HEALTHY,
            ),
        )
    return db_pool


# Ten calm observations 5 min apart close an alert.
CALM_FOR = timedelta(minutes=50)


async def test_a_sustained_anomaly_opens_exactly_one_ticket(monitored: Pool, plant: Plant) -> None:
    first = await run_alert_cycle(monitored, plant, now=NOW)
    second = await run_alert_cycle(monitored, plant, now=NOW + timedelta(minutes=1))

    async with monitored.connection() as conn:
        tickets = await list_tickets(conn, scope=EVERY_CUSTOMER)
        alerts = await list_alerts(
            conn, scope=CustomerScope(customer_id="nordbrau"), open_only=True
        )
    assert len(tickets) == 1
    assert first.tickets == (tickets[0].number,)
    assert second.opened == ()
    assert second.updated == first.opened
    ticket = tickets[0].draft
    assert re.fullmatch(r"LC-2026-\d{6}", tickets[0].number)
    assert ticket.machine_id == "l1-filler"
    assert "Filler (FIL-12, FIL12-88121)" in ticket.summary
    assert ticket.signals == ("vibration_rms", "bearing_temp")
    assert ticket.severity is Severity.GENERAL
    assert ticket.ticket_type is TicketType.GENERAL_FAULT
    assert ticket.channel is Channel.AUTOMATIC_WARNING
    assert (ticket.customer_id, ticket.contract_number) == ("nordbrau", "SC-2025-0042")
    assert ticket.under_warranty
    assert ticket.received_at == NOW
    assert ticket.deadlines.response_due == NOW + timedelta(hours=2)
    assert ticket.deadlines.arrival_due == datetime(2026, 1, 14, 9, 20, tzinfo=BERLIN)
    assert ticket.deadlines.resolution_due == NOW + timedelta(hours=72)
    assert [(a.machine_id, a.ticket_id) for a in alerts] == [("l1-filler", tickets[0].id)]
    assert ticket.alert_id == alerts[0].id


async def test_an_alert_opens_when_its_evidence_began_and_is_raised_at_the_cycle(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW + timedelta(minutes=3))

    async with monitored.connection() as conn:
        (alert,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
    # The first anomalous observation ended at 07:35; the rule fired at 08:23.
    assert alert.opened_at == ANOMALY_START + WINDOW
    assert alert.raised_at == NOW + timedelta(minutes=3)
    assert alert.last_seen_at == NOW
    assert alert.peak_score == 0.7


async def test_scores_after_the_cycle_time_are_not_evidence_yet(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        # All but the last two observations of the run end by NOW - 10 min.
        early_part = score_series(
            "l1-filler", start=ANOMALY_START, windows=RAISE_AFTER - 2, score=0.7
        )
        await insert_scores(conn, scores=early_part)
        later = score_series("l1-filler", start=NOW - 2 * WINDOW, windows=2, score=0.7)
        await insert_scores(conn, scores=later)

    early = await run_alert_cycle(db_pool, plant, now=NOW - timedelta(minutes=10))
    on_time = await run_alert_cycle(db_pool, plant, now=NOW)

    assert early.opened == ()
    assert len(on_time.opened) == 1


async def test_the_ticket_says_an_alert_opened_it(monitored: Pool, plant: Plant) -> None:
    report = await run_alert_cycle(monitored, plant, now=NOW)

    async with monitored.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
        stored = await get_ticket(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert [(e.kind, e.note) for e in events] == [
        ("registered", f"opened automatically from alert #{report.opened[0]}")
    ]
    assert stored == ticket


async def test_concurrent_cycles_still_open_one_ticket(monitored: Pool, plant: Plant) -> None:
    reports = await asyncio.gather(*(run_alert_cycle(monitored, plant, now=NOW) for _ in range(4)))

    async with monitored.connection() as conn:
        tickets = await list_tickets(conn, scope=EVERY_CUSTOMER)
    assert len(tickets) == 1
    assert sum(len(r.tickets) for r in reports) == 1


async def test_other_customers_see_neither_the_alert_nor_the_ticket(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)

    async with monitored.connection() as conn:
        assert await list_tickets(conn, scope=CustomerScope(customer_id="alpenpack")) == []
        assert await list_alerts(conn, scope=CustomerScope(customer_id="alpenpack")) == []


async def test_recovery_closes_the_alert_but_leaves_the_ticket_to_people(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)
    calm = score_series("l1-filler", start=NOW, windows=10, score=0.2, deviations=HEALTHY)
    async with monitored.connection() as conn:
        await insert_scores(conn, scores=calm)

    early = await run_alert_cycle(monitored, plant, now=NOW + CALM_FOR - timedelta(minutes=5))
    report = await run_alert_cycle(monitored, plant, now=NOW + CALM_FOR)

    async with monitored.connection() as conn:
        (alert,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    # Nine calm observations are not yet enough.
    assert early.closed == ()
    assert report.closed == (alert.id,)
    assert alert.status is AlertStatus.CLOSED
    assert ticket.status is TicketStatus.REGISTERED
    assert [e.kind for e in events] == ["registered", "alert_recovered"]


async def _recover_and_return(monitored: Pool, plant: Plant) -> datetime:
    """The filler's alert recovers, then the fault returns; returns when it is raised again."""
    await run_alert_cycle(monitored, plant, now=NOW)
    again_start = NOW + CALM_FOR
    async with monitored.connection() as conn:
        await insert_scores(
            conn,
            scores=score_series("l1-filler", start=NOW, windows=10, score=0.2, deviations=HEALTHY),
        )
        await insert_scores(
            conn,
            scores=score_series("l1-filler", start=again_start, windows=RAISE_AFTER, score=0.75),
        )
    await run_alert_cycle(monitored, plant, now=again_start)
    raised = again_start + RAISE_AFTER * WINDOW
    await run_alert_cycle(monitored, plant, now=raised)
    return raised


async def test_a_fault_that_returns_while_its_ticket_is_worked_joins_that_ticket(
    monitored: Pool, plant: Plant
) -> None:
    await _recover_and_return(monitored, plant)

    async with monitored.connection() as conn:
        tickets = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        alerts = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=tickets[0].id, scope=EVERY_CUSTOMER)
    assert [t.draft.received_at for t in tickets] == [NOW]
    assert [a.status for a in alerts] == [AlertStatus.OPEN, AlertStatus.CLOSED]
    assert {a.ticket_id for a in alerts} == {tickets[0].id}
    assert [e.kind for e in events].count("alert_joined") == 1


async def test_a_warning_does_not_join_planned_maintenance_open_on_the_machine(
    monitored: Pool, plant: Plant
) -> None:
    async with monitored.connection() as conn:
        planned = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            received_at=NOW - timedelta(days=1),
            severity="minor",
        )
        await conn.execute(
            # Its own number: the factory's counter knows nothing of the ticket sequence.
            "UPDATE tickets SET ticket_type = 'preventive_maintenance', number = 'LC-PM-1'"
            " WHERE id = %s",
            (planned,),
        )

    await run_alert_cycle(monitored, plant, now=NOW)

    async with monitored.connection() as conn:
        tickets = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        alerts = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
        planned_events = await ticket_events(conn, ticket_id=planned, scope=EVERY_CUSTOMER)
    warning = next(t for t in tickets if t.id != planned)
    assert warning.draft.channel is Channel.AUTOMATIC_WARNING
    assert [a.ticket_id for a in alerts] == [warning.id]
    assert "alert_joined" not in [e.kind for e in planned_events]


async def test_a_fault_that_returns_after_the_repair_opens_a_new_ticket(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)
    async with monitored.connection() as conn:
        # The desk's workflow moved the first ticket on: the bearing was repaired.
        await conn.execute("UPDATE tickets SET status = 'repaired'")
    raised = await _recover_and_return(monitored, plant)

    async with monitored.connection() as conn:
        tickets = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        alerts = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
    assert [t.draft.received_at for t in tickets] == [raised, NOW]
    assert [a.status for a in alerts] == [AlertStatus.OPEN, AlertStatus.CLOSED]


async def test_a_serious_anomaly_on_an_old_line_is_a_billable_emergency(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_scores(
            conn,
            scores=score_series("l2-filler", start=ANOMALY_START, windows=RAISE_AFTER, score=0.95),
        )

    await run_alert_cycle(db_pool, plant, now=NOW)

    async with db_pool.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
    assert ticket.draft.severity is Severity.SERIOUS
    assert ticket.draft.ticket_type is TicketType.EMERGENCY_REPAIR
    assert not ticket.draft.under_warranty
    # Nordbrau's contract overrides the serious grade: 30 min, 12 h, 36 h.
    assert ticket.draft.deadlines.response_due == NOW + timedelta(minutes=30)
    assert ticket.draft.deadlines.arrival_due == NOW + timedelta(hours=12)
    assert ticket.draft.deadlines.resolution_due == NOW + timedelta(hours=36)


# One more observation at 0.97 than the run at 0.7 that opened the alert.
WORSENING = RAISE_AFTER + 1
WORSENED = NOW + WORSENING * WINDOW


async def _worsen(pool: Pool) -> None:
    """Observations at 0.97 outnumbering those at 0.7: the median since the alert opened
    reaches the serious grade (0.9)."""
    async with pool.connection() as conn:
        await insert_scores(
            conn, scores=score_series("l1-filler", start=NOW, windows=WORSENING, score=0.97)
        )


async def test_a_worsening_alert_regrades_its_ticket_but_keeps_its_opening_deadlines(
    monitored: Pool, plant: Plant
) -> None:
    opened = await run_alert_cycle(monitored, plant, now=NOW)
    async with monitored.connection() as conn:
        (at_opening,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
    await _worsen(monitored)

    report = await run_alert_cycle(monitored, plant, now=WORSENED)

    async with monitored.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        (alert,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert report.escalated == (ticket.number,)
    assert report.updated == opened.opened
    assert alert.severity is Severity.SERIOUS
    assert ticket.draft.severity is Severity.SERIOUS
    assert ticket.draft.ticket_type is TicketType.EMERGENCY_REPAIR
    assert ticket.draft.received_at == NOW
    # SLA performance is measured against the general grade's deadlines set at opening.
    assert ticket.draft.deadlines == at_opening.draft.deadlines
    assert ticket.draft.deadlines.response_due == NOW + timedelta(hours=2)
    assert ticket.draft.deadlines.arrival_due == datetime(2026, 1, 14, 9, 20, tzinfo=BERLIN)
    assert ticket.draft.deadlines.resolution_due == NOW + timedelta(hours=72)
    assert [(e.kind, e.at) for e in events] == [("registered", NOW), ("escalated", WORSENED)]
    assert events[1].note == (
        f"alert #{alert.id} worsened to serious: severity general -> serious; "
        "type general_fault -> emergency_repair; "
        "SLA deadlines unchanged (measured as at opening)"
    )


async def test_an_easing_alert_leaves_its_ticket_at_the_worst_grade(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)
    await _worsen(monitored)
    await run_alert_cycle(monitored, plant, now=WORSENED)
    async with monitored.connection() as conn:
        (escalated,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        # Ten observations back at 0.7: the median since the alert opened is general again.
        await insert_scores(
            conn, scores=score_series("l1-filler", start=WORSENED, windows=10, score=0.7)
        )

    report = await run_alert_cycle(monitored, plant, now=WORSENED + timedelta(minutes=50))

    async with monitored.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        (alert,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert report.updated == (alert.id,)
    assert report.escalated == ()
    assert ticket == escalated
    assert alert.severity is Severity.SERIOUS
    assert [e.kind for e in events] == ["registered", "escalated"]


async def test_racing_cycles_escalate_a_ticket_once(monitored: Pool, plant: Plant) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)
    await _worsen(monitored)

    reports = await asyncio.gather(
        *(run_alert_cycle(monitored, plant, now=WORSENED) for _ in range(4))
    )

    async with monitored.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert sum(len(r.escalated) for r in reports) == 1
    assert [e.kind for e in events] == ["registered", "escalated"]


async def test_a_repaired_ticket_keeps_its_grade_and_hears_of_the_worse_alert(
    monitored: Pool, plant: Plant
) -> None:
    await run_alert_cycle(monitored, plant, now=NOW)
    async with monitored.connection() as conn:
        await conn.execute("UPDATE tickets SET status = 'repaired'")
    await _worsen(monitored)

    report = await run_alert_cycle(monitored, plant, now=WORSENED)

    async with monitored.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert report.escalated == ()
    assert ticket.draft.severity is Severity.GENERAL
    assert ticket.draft.deadlines.response_due == NOW + timedelta(hours=2)
    assert [e.kind for e in events] == ["registered", "alert_worsened"]
    assert "reopen it if the fault has returned" in events[1].note
