"""The analyze loop wakes as soon as new telemetry completes an observation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from analytics.cycle_wakeup import MAX_REST_S, next_completion, wait_for_next_cycle
from models.readings import Reading
from storage.connections import Pool
from storage.telemetry_writer import write_readings

SETTLE = timedelta(minutes=1)
T = datetime(2026, 3, 2, 8, 0, 2, tzinfo=UTC)


def test_the_next_completion_is_the_next_grid_end_plus_the_settle() -> None:
    # Observations up to 07:59:00 are complete at 08:00:02; the next ends 07:59:05.
    assert next_completion(T, settle=SETTLE) == datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)
    on_grid = datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)
    assert next_completion(on_grid, settle=SETTLE) == on_grid + timedelta(seconds=5)


@pytest.mark.integration
async def test_telemetry_completing_an_observation_ends_the_wait(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await write_readings(conn, [Reading(T + timedelta(seconds=2.9), "m1", "speed", 1.0)])
    started = time.perf_counter()
    await wait_for_next_cycle(db_pool, cycle_began=T, settle=SETTLE, interval_s=0.5, poll_s=0.05)
    not_yet = time.perf_counter() - started
    async with db_pool.connection() as conn:
        await write_readings(conn, [Reading(T + timedelta(seconds=3), "m1", "speed", 1.0)])
    started = time.perf_counter()
    await wait_for_next_cycle(db_pool, cycle_began=T, settle=SETTLE, interval_s=30, poll_s=0.05)
    woken = time.perf_counter() - started

    assert not_yet >= 0.5  # 08:00:04.9 does not complete the 07:59:05 observation yet
    assert woken < 5


@pytest.mark.integration
async def test_the_loop_rests_half_as_long_as_its_last_cycle_took_up_to_a_limit(
    db_pool: Pool,
) -> None:
    async with db_pool.connection() as conn:
        await write_readings(conn, [Reading(T + timedelta(minutes=5), "m1", "speed", 1.0)])
    started = time.perf_counter()
    await wait_for_next_cycle(
        db_pool, cycle_began=T, settle=SETTLE, interval_s=30, cycle_took_s=0.6, poll_s=0.05
    )
    rested = time.perf_counter() - started
    started = time.perf_counter()
    await wait_for_next_cycle(
        db_pool, cycle_began=T, settle=SETTLE, interval_s=30, cycle_took_s=60, poll_s=0.05
    )
    capped = time.perf_counter() - started

    # Long completed by the plant clock, yet not before the rest.
    assert 0.3 <= rested < 5
    assert MAX_REST_S <= capped < 5
