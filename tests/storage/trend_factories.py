"""Telemetry for the trend tests: two signals of one machine, one random sample a second."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from models.readings import Reading
from storage.connections import Connection
from storage.telemetry_writer import write_readings
from storage.trend_rollups import RollupProgress, refresh_machine_rollups

MACHINE = "m1"
SIGNALS = ("speed", "vibration")
# Deliberately off every rollup boundary.
START = datetime(2026, 3, 2, 6, 3, 7, tzinfo=UTC)


def readings(start: datetime, seconds: int, seed: int) -> list[Reading]:
    rng = random.Random(seed)
    return [
        Reading(start + timedelta(seconds=s), MACHINE, signal, rng.gauss(50, 10))
        for s in range(seconds)
        for signal in SIGNALS
    ]


async def write(conn: Connection, batch: Sequence[Reading]) -> None:
    """Through the collectors' writer, which marks late data for the rollups."""
    await write_readings(conn, batch)
    await conn.commit()


async def write_and_roll_up(conn: Connection, batch: Sequence[Reading]) -> RollupProgress:
    """Written, then rolled up as the analyze process's refresher does."""
    await write(conn, batch)
    return await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
