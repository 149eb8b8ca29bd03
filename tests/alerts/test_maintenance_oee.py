"""A planned maintenance window is planned downtime in OEE: no availability loss, for the
machine worked on, or for every machine of the line when the work stops it."""

from __future__ import annotations

from datetime import datetime

import pytest

from analytics.analytics_job import run_analytics_cycle
from models.oee import OeeResult, OeeScope
from models.plant import Plant
from models.readings import Reading
from storage import maintenance_store
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.oee_store import list_oee
from tests.analytics.golden_plant import LINE_ID, golden_plant
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
PLANNED = 8 * 3600 - 30 * 60  # the early shift minus lunch
PRODUCT_1 = [(at(4, 50), 1)]


def _standing_09_to_11(machine_id: str) -> list[Reading]:
    # Lunch 09:00-09:30 UTC, then the machine stands for maintenance until 11:00.
    return script_readings(
        machine_id,
        [running(at(4, 50), at(9)), halted(at(9), at(11), IDLE), running(at(11), NOW)],
        products=PRODUCT_1,
    )


def _running_all_shift(machine_id: str) -> list[Reading]:
    return script_readings(
        machine_id,
        [running(at(4, 50), at(9)), halted(at(9), at(9, 30), IDLE), running(at(9, 30), NOW)],
        products=PRODUCT_1,
    )


async def _plan_window(
    db_pool: Pool, machine_id: str, start: datetime, end: datetime, *, stops_line: bool
) -> None:
    async with db_pool.connection() as conn:
        occurrence = await maintenance_store.insert_occurrence(
            conn,
            machine_id=machine_id,
            line_id=LINE_ID,
            task_key="inspect",
            sequence=1,
            due_at=start,
            window=(start, end),
            stops_line=stops_line,
            opened_at=at(4),
        )
    assert occurrence is not None


async def _shift(db_pool: Pool, subject: str) -> OeeResult:
    async with db_pool.connection() as conn:
        results = await list_oee(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=[subject],
            since=at(5),
            until=at(5, 1),
            customer_scope=EVERY_CUSTOMER,
        )
    [result] = [r for r in results if r.shift_start == at(5)]
    return result


async def _cycle(db_pool: Pool, plant: Plant, readings: list[Reading]) -> None:
    async with db_pool.connection() as conn:
        await insert_readings(conn, readings, mark_late_data=True)
    await run_analytics_cycle(db_pool, plant, now=NOW)


async def test_a_machines_planned_window_is_no_availability_loss(
    db_pool: Pool, plant: Plant
) -> None:
    golden = golden_plant(plant, machines=("g1", "g2"))
    async with db_pool.connection() as conn:
        await sync_assets(conn, golden)
    await _plan_window(db_pool, "g1", at(9, 30), at(11), stops_line=False)

    await _cycle(db_pool, golden, _standing_09_to_11("g1") + _running_all_shift("g2"))

    worked_on = await _shift(db_pool, "g1")
    planned = PLANNED - 90 * 60  # lunch and the maintenance window are planned downtime
    assert (worked_on.planned_busy_s, worked_on.running_s) == (planned, planned)
    assert worked_on.availability == 1
    # The other machine kept its whole shift as planned time.
    other = await _shift(db_pool, "g2")
    assert other.planned_busy_s == PLANNED
    assert other.availability == 1


async def test_without_the_window_the_same_stand_still_is_a_loss(
    db_pool: Pool, plant: Plant
) -> None:
    golden = golden_plant(plant)
    async with db_pool.connection() as conn:
        await sync_assets(conn, golden)

    await _cycle(db_pool, golden, _standing_09_to_11("g1"))

    result = await _shift(db_pool, "g1")
    assert result.planned_busy_s == PLANNED
    assert result.availability == pytest.approx((PLANNED - 90 * 60) / PLANNED)


async def test_a_line_stopping_window_is_planned_downtime_of_every_machine(
    db_pool: Pool, plant: Plant
) -> None:
    golden = golden_plant(plant, machines=("g1", "g2"))
    async with db_pool.connection() as conn:
        await sync_assets(conn, golden)
    await _plan_window(db_pool, "g1", at(9, 30), at(11), stops_line=True)

    await _cycle(db_pool, golden, _standing_09_to_11("g1") + _standing_09_to_11("g2"))

    for machine_id in ("g1", "g2"):
        result = await _shift(db_pool, machine_id)
        assert result.planned_busy_s == PLANNED - 90 * 60
        assert result.availability == 1
