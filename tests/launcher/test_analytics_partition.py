"""Two `linecare analyze` processes share the fleet: each line is analysed by one of them,
each as of its own newest sample."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.fleet_partition import FleetPartition
from launcher.processes import analysis_cycle
from models.plant import Plant
from simulator.plant_simulation import generate_readings
from simulator.scenarios import QUIET
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.telemetry_writer import write_readings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 3, 2, 6, tzinfo=UTC)
HEALTHY_RUN = timedelta(hours=2, minutes=30)
ROOT = Path(__file__).resolve().parents[2]


async def _store_plant_history(pool: Pool, plant: Plant, *, lagging_line: str) -> datetime:
    """Quiet running for every machine; the lagging line's collector stopped an hour early.

    Returns when the lagging line's data ends.
    """
    lag_end = START + HEALTHY_RUN - timedelta(hours=1)
    lagging = {
        m.id for _, _, line in plant.lines() if line.id == lagging_line for m in line.machines
    }
    readings = [
        r
        for r in generate_readings(plant, seed=3, start=START, scenario=QUIET, duration=HEALTHY_RUN)
        if r.machine_id not in lagging or r.time <= lag_end
    ]
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
        for start in range(0, len(readings), 5000):
            await write_readings(conn, readings[start : start + 5000])
    return lag_end


async def _machines_with_models(pool: Pool) -> dict[str, int]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT machine_id, count(*) FROM condition_models GROUP BY machine_id"
        )
        return {machine: count for machine, count in await cursor.fetchall()}


@contextmanager
def _analyze_process(dsn: str, index: int, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "LINECARE_DATABASE_URL": dsn,
        "LINECARE_STATE_DIR": str(tmp_path / f"state-{index}"),
        "LINECARE_ANALYTICS_PARTITION_COUNT": "2",
        "LINECARE_ANALYTICS_PARTITION_INDEX": str(index),
        "LINECARE_ANALYTICS_INTERVAL_S": "0.5",
        "LINECARE_MANAGE_SERVICES": "false",
    }
    log = (tmp_path / f"analyze-{index}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "launcher.cli", "analyze"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        log.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_for_models(pool: Pool, machines: set[str], timeout_s: float) -> dict[str, int]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await _machines_with_models(pool)
        if machines <= set(found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.5)


async def test_two_analyze_processes_split_the_lines_between_them(
    db_pool: Pool, database_dsn: str, plant: Plant, tmp_path: Path
) -> None:
    await _store_plant_history(db_pool, plant, lagging_line="none")
    first, second = FleetPartition(0, 2), FleetPartition(1, 2)
    mine = {m.id for line in first.lines(plant) for m in line.machines}
    theirs = {m.id for line in second.lines(plant) for m in line.machines}
    # The plant's three lines must land on both sides for the test to say anything.
    assert mine and theirs

    with _analyze_process(database_dsn, 0, tmp_path):
        found = await _wait_for_models(db_pool, mine, timeout_s=90)
        await asyncio.sleep(2)  # a few more cycles: still none of the other lines
        found = await _machines_with_models(db_pool)
        assert set(found) == mine
        with _analyze_process(database_dsn, 1, tmp_path):
            found = await _wait_for_models(db_pool, mine | theirs, timeout_s=90)
            await asyncio.sleep(2)
            found = await _machines_with_models(db_pool)

    # Every machine was trained once, by exactly one of the processes.
    assert found == dict.fromkeys(mine | theirs, 1)


async def test_each_line_is_analysed_as_of_its_own_newest_sample(
    db_pool: Pool, plant: Plant
) -> None:
    lagging_line = "line-3"
    lag_end = await _store_plant_history(db_pool, plant, lagging_line=lagging_line)
    await analysis_cycle(db_pool, plant, FleetPartition())

    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT machine_id, scored_until FROM condition_scoring")
        scored = {machine: until for machine, until in await cursor.fetchall()}
    lagging = {
        m.id for _, _, line in plant.lines() if line.id == lagging_line for m in line.machines
    }
    on_time = {p.machine.id for p in plant.placements()} - lagging
    # The lagging line is scored up to its own data, not past it ...
    assert all(scored[m] is not None and scored[m] <= lag_end for m in lagging)
    # ... and does not hold back the lines whose data is current.
    assert all(
        scored[m] is not None and scored[m] > lag_end + timedelta(minutes=30) for m in on_time
    )
