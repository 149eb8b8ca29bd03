"""Planned maintenance suppresses anomaly alerts for the machine (or the whole line when
the work stops it) during its window, and only then."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alerts.alert_job import run_alert_cycle
from alerts.anomaly_rules import SustainedAnomalyRule
from models.plant import Plant
from storage import maintenance_store
from storage.anomaly_store import insert_scores
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.ticket_store import list_tickets
from tests.alerts.factories import FRIDAY_0800, WINDOW, score_series

pytestmark = pytest.mark.integration

NOW = FRIDAY_0800 + timedelta(minutes=20)
RAISE_AFTER = SustainedAnomalyRule().raise_after
ANOMALY_START = NOW - RAISE_AFTER * WINDOW


@pytest.fixture
async def degrading(db_pool: Pool, plant: Plant) -> Pool:
    """The line 1 filler scores high for long enough to raise an alert at NOW."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_scores(
            conn,
            scores=score_series("l1-filler", start=ANOMALY_START, windows=RAISE_AFTER, score=0.7),
        )
    return db_pool


async def _window(
    pool: Pool, machine_id: str, start: datetime, end: datetime, *, stops_line: bool
) -> None:
    async with pool.connection() as conn:
        occurrence = await maintenance_store.insert_occurrence(
            conn,
            machine_id=machine_id,
            line_id="line-1",
            task_key="inspect",
            sequence=1,
            due_at=start,
            window=(start, end),
            stops_line=stops_line,
            opened_at=start - timedelta(days=7),
        )
    assert occurrence is not None


async def _tickets(pool: Pool) -> int:
    async with pool.connection() as conn:
        return len(await list_tickets(conn, scope=EVERY_CUSTOMER))


async def test_no_alert_for_the_machine_during_its_window(degrading: Pool, plant: Plant) -> None:
    await _window(
        degrading, "l1-filler", NOW - timedelta(hours=1), NOW + timedelta(hours=2), stops_line=False
    )

    report = await run_alert_cycle(degrading, plant, now=NOW)

    assert report.opened == ()
    assert await _tickets(degrading) == 0


async def test_a_line_stop_on_another_machine_suppresses_it_too(
    degrading: Pool, plant: Plant
) -> None:
    await _window(
        degrading, "l1-capper", NOW - timedelta(hours=1), NOW + timedelta(hours=2), stops_line=True
    )

    report = await run_alert_cycle(degrading, plant, now=NOW)

    assert report.opened == ()


async def test_work_on_another_machine_that_leaves_the_line_running_does_not(
    degrading: Pool, plant: Plant
) -> None:
    await _window(
        degrading, "l1-capper", NOW - timedelta(hours=1), NOW + timedelta(hours=2), stops_line=False
    )

    report = await run_alert_cycle(degrading, plant, now=NOW)

    assert len(report.opened) == 1
    assert await _tickets(degrading) == 1


async def test_the_alert_opens_once_the_window_is_over(degrading: Pool, plant: Plant) -> None:
    await _window(
        degrading,
        "l1-filler",
        NOW - timedelta(hours=3),
        NOW - timedelta(minutes=1),
        stops_line=False,
    )

    report = await run_alert_cycle(degrading, plant, now=NOW)

    assert len(report.opened) == 1
