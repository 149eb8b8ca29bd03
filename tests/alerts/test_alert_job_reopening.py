"""An alert closed on observations that late data re-scores as high is reopened, on a real
TimescaleDB: the episode keeps its one ticket, and the ticket's history says why.

The first test runs the whole path as the demo loop does: telemetry, analytics
(model training, scoring, re-scoring of late observations) and the alert cycle;
there the scorer's carrying forward of missing signals keeps partial data from
closing the alert at all. The others write the scores directly, the way
analytics' ``replace_scores`` re-scores them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from alerts.alert_job import AlertReport, run_alert_cycle
from alerts.anomaly_rules import SustainedAnomalyRule
from alerts.forecast_rules import PredictedLimitRule
from analytics.analytics_job import run_analytics_cycle
from models.alerts import Alert, AlertStatus
from models.intervals import Interval
from models.plant import Plant, Severity
from models.tickets import Ticket, TicketEvent, TicketStatus, TicketType
from storage.alert_store import list_alerts, lock_alert
from storage.anomaly_store import insert_scores, replace_scores
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.ticket_store import list_tickets, lock_ticket, ticket_events
from tests.alerts.factories import FRIDAY_0800, HEALTHY, WINDOW, score_series
from tests.analytics.late_telemetry import (
    FIRST_MODEL_AT,
    held_back,
    running_morning,
    within,
    write,
)
from tests.analytics.telemetry_factories import at

pytestmark = pytest.mark.integration

# The filler's bearing signals; motor current stays normal through the fault.
BEARING_SIGNALS = frozenset({"vibration_rms", "bearing_temp"})
# The fault is a step, which the degradation forecast can read as a trend toward a
# limit; these tests are about the anomaly alert only, so the predicted-limit rule
# gets a negative horizon (hours_high never is: it never raises).
NO_FORECAST_ALERTS = PredictedLimitRule(horizon_hours=-1.0)
# The rule raises after this many anomalous observations.
RAISE_AFTER = SustainedAnomalyRule().raise_after


async def _state(pool: Pool) -> tuple[list[Alert], list[Ticket], list[TicketEvent]]:
    """Every alert and ticket, newest first, and the history of the oldest ticket."""
    async with pool.connection() as conn:
        alerts = await list_alerts(conn, scope=EVERY_CUSTOMER)
        tickets = await list_tickets(conn, scope=EVERY_CUSTOMER)
        events = (
            await ticket_events(conn, ticket_id=tickets[-1].id, scope=EVERY_CUSTOMER)
            if tickets
            else []
        )
    return alerts, tickets, events


async def _cycles(pool: Pool, plant: Plant, now: datetime) -> AlertReport:
    await run_analytics_cycle(pool, plant, now=now)
    return await run_alert_cycle(pool, plant, now=now, forecast_rule=NO_FORECAST_ALERTS)


async def test_an_alert_is_not_closed_on_partial_data_and_late_data_keeps_it_one_episode(
    db_pool: Pool, plant: Plant
) -> None:
    # The filler's bearing wears from 09:00. From 09:30 its vibration and bearing
    # temperature come from a gateway that buffers them until 09:50; motor current
    # and the machine state keep arriving on time. The scorer carries a missing
    # signal forward from its last value, so the partial observations are not calm.
    filler = running_morning("l1-filler", seed=1, until=at(10), faults=(Interval(at(9), at(10)),))
    on_time, buffered = held_back(
        filler, within(Interval(at(9, 30), at(9, 50)), signals=BEARING_SIGNALS)
    )
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(db_pool, [r for r in on_time if r.time < at(9, 30)])
    # The first model learns the healthy running from 04:58 to 06:30 past its warm-up,
    # as a cycle that ran then would have.
    trained = await run_analytics_cycle(db_pool, plant, now=FIRST_MODEL_AT)
    assert "l1-filler" in trained.models_trained
    opened = await _cycles(db_pool, plant, at(9, 30))
    (alert_id,) = opened.opened

    await write(db_pool, [r for r in on_time if at(9, 30) <= r.time < at(9, 50)])
    partial = await _cycles(db_pool, plant, at(9, 50))
    assert partial == AlertReport(updated=(alert_id,))

    await write(db_pool, [*buffered, *(r for r in on_time if r.time >= at(9, 50))])
    analytics = await run_analytics_cycle(db_pool, plant, now=at(10))
    late = await run_alert_cycle(db_pool, plant, now=at(10), forecast_rule=NO_FORECAST_ALERTS)

    assert analytics.rescored_machines == ("l1-filler",)
    assert late == AlertReport(updated=(alert_id,))
    alerts, tickets, events = await _state(db_pool)
    ((alert_row_id, status, opened_at, last_seen_at),) = [
        (a.id, a.status, a.opened_at, a.last_seen_at) for a in alerts
    ]
    assert (alert_row_id, status) == (alert_id, AlertStatus.OPEN)
    # The evidence began once the fault had moved the smoothed observations, soon after 09:00.
    assert at(9) < opened_at < at(9, 30)
    assert last_seen_at >= at(9, 55)
    (ticket,) = tickets
    assert (ticket.draft.alert_id, ticket.status) == (alert_id, TicketStatus.REGISTERED)
    assert [(e.kind, e.at) for e in events] == [("registered", at(9, 30))]


# The scores-only scenario: ten anomalous observations (the rule's raise_after)
# ending 07:35-08:20, then ten calm ones (its clear_after) ending 08:25-09:10.
OPENED = FRIDAY_0800 + timedelta(minutes=20)
CLOSED = OPENED + timedelta(minutes=50)
RESCORED = CLOSED + timedelta(minutes=10)


@pytest.fixture
async def closed_early(db_pool: Pool, plant: Plant) -> Pool:
    """The filler's alert, opened at 08:20 and closed at 09:10 on observations that scored
    calm."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_scores(
            conn,
            scores=score_series(
                "l1-filler", start=OPENED - RAISE_AFTER * WINDOW, windows=RAISE_AFTER, score=0.7
            ),
        )
    await run_alert_cycle(db_pool, plant, now=OPENED)
    async with db_pool.connection() as conn:
        await insert_scores(
            conn,
            scores=score_series(
                "l1-filler", start=OPENED, windows=10, score=0.2, deviations=HEALTHY
            ),
        )
    closing = await run_alert_cycle(db_pool, plant, now=CLOSED)
    assert len(closing.closed) == 1
    return db_pool


async def _rescore_as_serious(pool: Pool) -> None:
    """Late data turns the calm observations, and two more, into a serious anomaly."""
    async with pool.connection() as conn:
        await replace_scores(
            conn,
            machine_id="l1-filler",
            since=OPENED,
            until=RESCORED,
            scores=score_series("l1-filler", start=OPENED, windows=12, score=0.97),
        )


async def test_a_reopened_alert_that_worsened_escalates_its_ticket(
    closed_early: Pool, plant: Plant
) -> None:
    await _rescore_as_serious(closed_early)

    report = await run_alert_cycle(closed_early, plant, now=RESCORED)

    alerts, tickets, events = await _state(closed_early)
    (alert,), (ticket,) = alerts, tickets
    assert report == AlertReport(
        updated=(alert.id,), escalated=(ticket.number,), reopened=(alert.id,)
    )
    assert (alert.status, alert.severity) == (AlertStatus.OPEN, Severity.SERIOUS)
    assert (ticket.draft.severity, ticket.draft.ticket_type) == (
        Severity.SERIOUS,
        TicketType.EMERGENCY_REPAIR,
    )
    assert [(e.kind, e.at) for e in events] == [
        ("registered", OPENED),
        ("alert_recovered", CLOSED),
        ("alert_reopened", RESCORED),
        ("escalated", RESCORED),
    ]


async def test_racing_cycles_reopen_the_alert_once(closed_early: Pool, plant: Plant) -> None:
    await _rescore_as_serious(closed_early)

    reports = await asyncio.gather(
        *(run_alert_cycle(closed_early, plant, now=RESCORED) for _ in range(4))
    )

    alerts, tickets, events = await _state(closed_early)
    assert (len(alerts), len(tickets)) == (1, 1)
    assert sum(len(r.reopened) for r in reports) == 1
    assert sum(len(r.opened) for r in reports) == 0
    assert [e.kind for e in events] == [
        "registered",
        "alert_recovered",
        "alert_reopened",
        "escalated",
    ]


async def test_after_a_repair_the_rescored_anomaly_is_a_new_alert_and_ticket(
    closed_early: Pool, plant: Plant
) -> None:
    async with closed_early.connection() as conn:
        await conn.execute("UPDATE tickets SET status = 'repaired'")
    await _rescore_as_serious(closed_early)

    report = await run_alert_cycle(closed_early, plant, now=RESCORED)

    alerts, tickets, events = await _state(closed_early)
    assert report.reopened == ()
    assert report.opened == (alerts[0].id,)
    assert [a.status for a in alerts] == [AlertStatus.OPEN, AlertStatus.CLOSED]
    assert [(t.status, t.draft.alert_id) for t in tickets] == [
        (TicketStatus.REGISTERED, alerts[0].id),
        (TicketStatus.REPAIRED, alerts[1].id),
    ]
    assert [e.kind for e in events] == ["registered", "alert_recovered"]


async def test_a_reopening_cycle_locks_the_alert_before_its_ticket(
    closed_early: Pool, plant: Plant
) -> None:
    # Alert row first, then ticket, as a follow-up cycle takes them: the other
    # order could deadlock with it. The holder stands in for that cycle.
    await _rescore_as_serious(closed_early)
    async with closed_early.connection() as holder, holder.transaction():
        (alert,) = await list_alerts(holder, scope=EVERY_CUSTOMER)
        assert alert.ticket_id is not None
        await lock_alert(holder, alert_id=alert.id)
        cycle = asyncio.create_task(run_alert_cycle(closed_early, plant, now=RESCORED))
        await asyncio.sleep(0.2)
        assert not cycle.done()
        # Free, as the waiting cycle has not locked the ticket ahead of its alert.
        await holder.execute("SET LOCAL lock_timeout = '1s'")
        assert await lock_ticket(holder, ticket_id=alert.ticket_id) is not None
    report = await cycle

    assert report.reopened == (alert.id,)
