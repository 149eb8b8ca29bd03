"""The incremental OEE refresh: late-data marks taken at once, work kept until stored."""

from __future__ import annotations

import pytest
from psycopg import sql

import analytics.oee_refresh
from analytics.analytics_job import run_analytics_cycle
from models.oee import OeeResult, OeeScope
from models.plant import Plant
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.oee_store import list_oee
from tests.analytics.golden_plant import golden_plant
from tests.analytics.telemetry_factories import (
    IDLE,
    at,
    halted,
    insert_readings,
    running,
    script_readings,
)

pytestmark = pytest.mark.integration

NOW = at(13, 5)


async def _count(db_pool: Pool, table: str) -> int:
    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _write_morning(db_pool: Pool, plant: Plant) -> None:
    readings = script_readings(
        "g1",
        [running(at(4, 50), at(9)), halted(at(9), at(9, 30), IDLE), running(at(9, 30), NOW)],
        products=[(at(4, 50), 1)],
    )
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_readings(conn, readings, mark_late_data=True)


async def test_a_cycle_takes_the_late_data_marks_and_empties_its_queue(
    db_pool: Pool, plant: Plant
) -> None:
    golden = golden_plant(plant)
    await _write_morning(db_pool, golden)
    assert await _count(db_pool, "telemetry_pending_analysis") == 1

    report = await run_analytics_cycle(db_pool, golden, now=NOW)

    # Sunday's night shift (from 04:50 - lookback), the early and the late shift.
    assert (report.late_data_machines, report.oee_shifts) == (("g1",), 3)
    assert await _count(db_pool, "telemetry_pending_analysis") == 0
    assert await _count(db_pool, "oee_recompute_queue") == 0


async def test_a_failed_cycle_leaves_the_work_for_the_next(
    db_pool: Pool, plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = golden_plant(plant)
    await _write_morning(db_pool, golden)

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(analytics.oee_refresh, "upsert_oee", broken)
    with pytest.raises(RuntimeError):
        await run_analytics_cycle(db_pool, golden, now=NOW)
    monkeypatch.undo()
    # The writer's mark is gone, but the queue still holds the machine.
    assert await _count(db_pool, "telemetry_pending_analysis") == 0
    assert await _count(db_pool, "oee_recompute_queue") == 1

    await run_analytics_cycle(db_pool, golden, now=NOW)

    async with db_pool.connection() as conn:
        early: list[OeeResult] = await list_oee(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["g1"],
            since=at(5),
            until=at(6),
            customer_scope=EVERY_CUSTOMER,
        )
    assert [r.planned_busy_s for r in early] == [8 * 3600 - 30 * 60]
    assert await _count(db_pool, "oee_recompute_queue") == 0
