"""Late telemetry, re-scored, reaching the alert cycle: early warnings are raised, and
once, on a real TimescaleDB.

Line 1's filler and capper run all morning, sampled every 30 s (30 s observations);
a cycle at 06:30 learns their first models. A collector holds a machine's data
back (a spool during a database outage) and sends it later; analytics and
alert cycles run as the demo loop runs them, with "now" the newest telemetry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alerts.alert_job import AlertReport, run_alert_cycle
from alerts.forecast_rules import PredictedLimitRule
from analytics.analytics_job import run_analytics_cycle
from models.alerts import Alert
from models.intervals import Interval
from models.plant import Plant
from models.readings import Reading
from models.tickets import Ticket
from storage.alert_store import list_alerts
from storage.anomaly_store import score_history
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.ticket_store import list_tickets
from tests.analytics.late_telemetry import (
    CONDITION_SIGNALS,
    FIRST_MODEL_AT,
    held_back,
    running_morning,
    within,
    write,
)
from tests.analytics.telemetry_factories import at

pytestmark = pytest.mark.integration

NOW = at(10)
WIDTH = timedelta(seconds=30)
# The end of the last observation complete at NOW (a minute to settle).
LAST_COMPLETE = at(9, 59)


async def _cycles(pool: Pool, plant: Plant, now: datetime) -> AlertReport:
    await run_analytics_cycle(pool, plant, now=now)
    # The faults here are steps, which the degradation forecast can read as a trend
    # toward a limit; these tests are about the anomaly alert only, so the
    # predicted-limit rule is given a negative horizon (hours_high never is: it
    # never raises).
    return await run_alert_cycle(
        pool, plant, now=now, forecast_rule=PredictedLimitRule(horizon_hours=-1.0)
    )


async def _alerts_and_tickets(pool: Pool) -> tuple[list[Alert], list[Ticket]]:
    async with pool.connection() as conn:
        return (
            await list_alerts(conn, scope=EVERY_CUSTOMER),
            await list_tickets(conn, scope=EVERY_CUSTOMER),
        )


async def _start(pool: Pool, plant: Plant, readings: list[Reading]) -> None:
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(pool, readings)
    learned = await run_analytics_cycle(pool, plant, now=FIRST_MODEL_AT)
    assert set(learned.models_trained) == {"l1-filler", "l1-capper"}


async def test_late_data_completing_a_sustained_anomaly_raises_one_alert(
    db_pool: Pool, plant: Plant
) -> None:
    # The capper's bearing acts up from 09:30; its condition data of 09:30-09:58
    # comes late, so at first only two anomalous observations are scored: no alert yet.
    fault = Interval(at(9, 30), NOW)
    capper, held = held_back(
        running_morning("l1-capper", seed=2, until=NOW, faults=(fault,)),
        within(Interval(at(9, 30), at(9, 58)), signals=CONDITION_SIGNALS),
    )
    await _start(db_pool, plant, [*capper, *running_morning("l1-filler", seed=1, until=NOW)])
    assert await _cycles(db_pool, plant, NOW) == AlertReport()

    await write(db_pool, held)
    raised = await _cycles(db_pool, plant, NOW)
    again = await _cycles(db_pool, plant, NOW)

    alerts, tickets = await _alerts_and_tickets(db_pool)
    assert [(a.machine_id, a.last_seen_at, a.raised_at) for a in alerts] == [
        ("l1-capper", LAST_COMPLETE, NOW)
    ]
    # The evidence began once a few faulty observations were in the smoothing window.
    assert fault.start < alerts[0].opened_at < fault.start + timedelta(minutes=5)
    assert raised.opened == (alerts[0].id,)
    assert [t.draft.alert_id for t in tickets] == [alerts[0].id]
    assert (again.opened, again.tickets) == ((), ())


async def test_an_alert_open_through_an_outage_stays_one_alert_as_the_spool_drains(
    db_pool: Pool, plant: Plant
) -> None:
    # The filler degrades from 08:30. Its collector loses the database at 09:30 and
    # spools; the capper's keeps sending, so plant time goes on.
    outage = Interval(at(9, 30), NOW)
    filler, spooled = held_back(
        running_morning("l1-filler", seed=1, until=NOW, faults=(Interval(at(8, 30), NOW),)),
        within(outage),
    )
    capper, later = held_back(running_morning("l1-capper", seed=2, until=NOW), within(outage))
    await _start(db_pool, plant, [*filler, *capper, *[r for r in later if r.time < at(9, 40)]])
    opened = await _cycles(db_pool, plant, at(9, 40))
    assert len(opened.opened) == 1

    await write(db_pool, [r for r in later if r.time >= at(9, 40)])
    await write(db_pool, spooled)
    drained = await _cycles(db_pool, plant, NOW)

    alerts, tickets = await _alerts_and_tickets(db_pool)
    async with db_pool.connection() as conn:
        scores = await score_history(
            conn, machine_id="l1-filler", since=at(9, 30), until=NOW, scope=EVERY_CUSTOMER
        )
    # Every observation of the outage is scored, including those looked at (empty)
    # before the spool drained, and the open alert follows them.
    assert [s.time for s in scores if s.time > outage.start] == [
        outage.start + WIDTH * (i + 1) for i in range(58)
    ]
    assert (drained.opened, drained.updated) == ((), opened.opened)
    assert [(a.id, a.last_seen_at) for a in alerts] == [(opened.opened[0], LAST_COMPLETE)]
    assert len(tickets) == 1
