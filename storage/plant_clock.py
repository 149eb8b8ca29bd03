"""The plant's clock: the newest telemetry time, which may run ahead of the wall clock.

A simulated or replayed plant stamps its samples with its own time, so "now"
for analytics is what the data says, never ``datetime.now()``.
"""

from __future__ import annotations

from collections.abc import Sequence
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


# One index probe per machine and signal instead of scanning the hypertable.
_LATEST_PER_SIGNAL = """
SELECT max(latest.time)
FROM unnest(%s::text[], %s::text[]) AS wanted (machine_id, signal)
CROSS JOIN LATERAL (
    SELECT time FROM telemetry
    WHERE machine_id = wanted.machine_id AND signal = wanted.signal
    ORDER BY time DESC LIMIT 1
) AS latest
"""


async def latest_time_of(
    conn: Connection, *, signals: Sequence[tuple[str, str]]
) -> datetime | None:
    """The newest sample time of these (machine, signal) pairs (a line's "now"), or None."""
    machines = [machine for machine, _ in signals]
    names = [signal for _, signal in signals]
    cursor = await conn.execute(_LATEST_PER_SIGNAL, (machines, names))
    row = await cursor.fetchone()
    return row[0] if row is not None else None
