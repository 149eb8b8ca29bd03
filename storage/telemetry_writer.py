"""Writing telemetry and dead letters: batched binary COPY, idempotent per sample.

A batch is first COPYed straight into the ``telemetry`` hypertable, the fastest
way in. The unique key on (machine, signal, time) refuses the whole COPY when any
sample of the batch is stored already (a replay after a crash, a broker
redelivery); the batch is then rolled back and goes through the idempotent path:
COPY into a session-local staging table and one ``INSERT ... ON CONFLICT DO
NOTHING``. Either way a replay never doubles a sample and never fails on one.

Values are written as they arrive: a machine counter that resets or rolls over
(16- or 32-bit) is stored raw, and the analytics derive increments from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from models.readings import DeadLetter, Reading
from storage.connections import Connection

# Payloads are kept for diagnosis, not as an archive: a runaway sender must not
# fill the database through the dead-letter table.
MAX_DEAD_LETTER_PAYLOAD = 4096

_TYPES = ["timestamptz", "text", "text", "float8", "int2"]
_COPY_TELEMETRY = (
    "COPY telemetry (time, machine_id, signal, value, quality) FROM STDIN (FORMAT BINARY)"
)
_COPY_STAGING = (
    "COPY telemetry_staging (time, machine_id, signal, value, quality) FROM STDIN (FORMAT BINARY)"
)

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (
    time timestamptz, machine_id text, signal text, value double precision, quality smallint
) ON COMMIT DELETE ROWS
"""

_MERGE = """
INSERT INTO telemetry (time, machine_id, signal, value, quality)
SELECT time, machine_id, signal, value, quality FROM telemetry_staging
ON CONFLICT (machine_id, signal, time) DO NOTHING
"""

# One statement for all machines of a batch, marking both the analytics' and the
# trend rollups' pending data; the caller passes each machine once, sorted, so
# concurrent writers take the row locks in the same order.
_PENDING = """
WITH batch (machine_id, since) AS (
    SELECT * FROM unnest(%s::text[], %s::timestamptz[])
), analysis AS (
    INSERT INTO telemetry_pending_analysis AS p (machine_id, since)
    SELECT machine_id, since FROM batch
    ON CONFLICT (machine_id) DO UPDATE SET since = LEAST(p.since, EXCLUDED.since)
)
INSERT INTO trend_rollups_pending AS r (machine_id, since)
SELECT machine_id, since FROM batch
ON CONFLICT (machine_id) DO UPDATE SET since = LEAST(r.since, EXCLUDED.since)
"""

_DEAD_LETTER = """
INSERT INTO dead_letters (received_at, source, origin, payload, reason)
VALUES (%s, %s, %s, %s, %s)
"""


async def write_readings(conn: Connection, readings: Sequence[Reading]) -> int:
    """Store a batch in one transaction; returns how many samples were new."""
    return await write_batch(conn, readings, ())


async def write_dead_letters(conn: Connection, letters: Sequence[DeadLetter]) -> None:
    """Keep input that could not be parsed, with the reason, in one transaction."""
    await write_batch(conn, (), letters)


async def write_batch(
    conn: Connection, readings: Sequence[Reading], letters: Sequence[DeadLetter]
) -> int:
    """Store readings and dead letters together in one transaction.

    Returns how many readings were new. One transaction for both means a batch
    is stored whole or not at all, so a retried batch never doubles its letters.
    """
    if not readings and not letters:
        return 0
    if readings:
        try:
            async with conn.transaction():
                await _insert_dead_letters(conn, letters)
                await _copy(conn, _COPY_TELEMETRY, readings)
                await _mark_pending_analysis(conn, readings)
            return len(readings)
        except psycopg.errors.UniqueViolation:
            pass  # some sample is stored already: take the idempotent path below
    async with conn.transaction():
        await _insert_dead_letters(conn, letters)
        if not readings:
            return 0
        await conn.execute(_STAGING)
        await _copy(conn, _COPY_STAGING, readings)
        cursor = await conn.execute(_MERGE)
        await _mark_pending_analysis(conn, readings)
        return cursor.rowcount


async def _copy(conn: Connection, statement: str, readings: Sequence[Reading]) -> None:
    async with conn.cursor().copy(statement) as copy:
        copy.set_types(_TYPES)
        for r in readings:
            await copy.write_row((r.time, r.machine_id, r.signal, r.value, int(r.quality)))


async def _mark_pending_analysis(conn: Connection, readings: Sequence[Reading]) -> None:
    """Lower each machine's pending-analysis mark to its oldest sample in the batch."""
    oldest: dict[str, datetime] = {}
    for r in readings:
        known = oldest.get(r.machine_id)
        if known is None or r.time < known:
            oldest[r.machine_id] = r.time
    machines = sorted(oldest)
    await conn.execute(_PENDING, (machines, [oldest[m] for m in machines]))


async def _insert_dead_letters(conn: Connection, letters: Sequence[DeadLetter]) -> None:
    if not letters:
        return
    async with conn.cursor() as cursor:
        await cursor.executemany(
            _DEAD_LETTER,
            [
                (d.received_at, d.source, d.origin, d.payload[:MAX_DEAD_LETTER_PAYLOAD], d.reason)
                for d in letters
            ],
        )
