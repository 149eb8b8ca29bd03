"""The plant's clock: the newest telemetry time, which may run ahead of the wall clock.

A simulated or replayed plant stamps its samples with its own time, so "now"
for analytics is what the data says, never ``datetime.now()``.
"""

from __future__ import annotations

from datetime import datetime

from storage.connections import Connection


async def latest_telemetry_time(conn: Connection) -> datetime | None:
    """The newest sample time of any machine: the plant's "now" in simulated time."""
    cursor = await conn.execute("SELECT time FROM telemetry ORDER BY time DESC LIMIT 1")
    row = await cursor.fetchone()
    return row[0] if row else None


async def earliest_telemetry_time(conn: Connection) -> datetime | None:
    """The oldest sample time of any machine: when the stored plant first ran."""
    cursor = await conn.execute("SELECT time FROM telemetry ORDER BY time LIMIT 1")
    row = await cursor.fetchone()
    return row[0] if row else None
