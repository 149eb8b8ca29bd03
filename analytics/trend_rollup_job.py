"""The trend rollups' refresher: every machine's stored rollups kept up with its telemetry.

It runs beside the analysis loop in the analyze process, on its own pace, so
rolling up never delays a warning on its way to a ticket. Each pass rolls up
what came since the last one (a few minutes of data per machine); a machine
with a long history to catch up (the first start, a large import) advances a
bounded number of days per pass, so the others are never kept waiting.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg

from analytics.fleet_partition import FleetPartition
from models.plant import Plant
from storage.connections import Pool
from storage.trend_rollups import RollupProgress, refresh_machine_rollups

log = logging.getLogger(__name__)

REFRESH_EVERY_S = 30.0
# Days of a machine's backlog rolled up per pass.
MAX_STEPS_PER_PASS = 7


async def refresh_trend_rollups(
    pool: Pool, plant: Plant, partition: FleetPartition
) -> list[RollupProgress]:
    """One pass over this process's machines; what each one rolled up."""
    progress = []
    for line in partition.lines(plant):
        for machine in line.machines:
            async with pool.connection() as conn:
                progress.append(
                    await refresh_machine_rollups(
                        conn,
                        machine_id=machine.id,
                        signals=[s.name for s in machine.signals],
                        max_steps=MAX_STEPS_PER_PASS,
                    )
                )
    return progress


async def run_trend_rollups(
    pool: Pool, plant: Plant, partition: FleetPartition, *, every_s: float = REFRESH_EVERY_S
) -> None:
    """Refresh the rollups every ``every_s`` seconds (sooner while catching up), until
    cancelled; a failed pass is retried on the next."""
    while True:
        catching_up = False
        try:
            progress = await refresh_trend_rollups(pool, plant, partition)
            catching_up = any(p.steps >= MAX_STEPS_PER_PASS for p in progress)
        except psycopg.Error as error:
            log.warning("trend rollup refresh failed, retrying: %s", error)
        await asyncio.sleep(0 if catching_up else every_s)
