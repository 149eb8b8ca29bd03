"""Keeping the stored trend rollups (``trend_rollups``) up to date, machine by machine.

Five levels, each built from the one below: 5-second buckets from raw samples,
then 30 seconds, 1 minute, 5 minutes and 15 minutes, so every width of the trend
ladder up to 30 minutes re-buckets at most two stored rows a point. A machine's
rollups are complete up to its ``rolled_up_until`` (on a 5-second boundary,
``SETTLED`` behind its newest sample): every level holds each of its buckets that
ends by then, and only those, so a coarse level stops at its last whole bucket
before the mark while the finer ones go on to it. Trend queries read the finer
levels up to the mark and raw samples from there on: a live chart reads about a
minute and a half raw, not up to a quarter of an hour.

Late data is found through the writer's mark (``trend_rollups_pending``): the
refresher first lowers ``rolled_up_until`` to the mark, and bumps the machine's
``revision`` so trends kept between reads are read again, in a short transaction
of its own, and then rolls up forward again a bounded span per transaction, so
a year of history never holds a lock that the collectors wait on.
Telemetry written around ``storage.telemetry_writer`` into an hour already rolled
up is not seen; every collector path goes through the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from storage.connections import Connection
from storage.plant_clock import latest_time_of

# Finest first: each level is rolled up from the one before it (raw for the first).
LEVELS_S = (5, 30, 60, 300, 900)
FINEST = timedelta(seconds=LEVELS_S[0])
COARSEST = timedelta(seconds=LEVELS_S[-1])
# How far behind a machine's newest sample its rollups stop: samples of its other
# signals arriving up to this much later than the newest are not late data (late data
# makes every process read the machine's kept trends again).
SETTLED = timedelta(minutes=1)
# How much history one transaction rolls up: short enough for a steady refresh,
# long enough that a first backfill of a year takes a few hundred steps.
STEP = timedelta(days=1)
# time_bucket's default origin for timestamptz: buckets of every width line up on it.
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)


def floor_to(moment: datetime, width: timedelta) -> datetime:
    """``moment`` rounded down to the start of its ``time_bucket`` of ``width``."""
    return moment - (moment - BUCKET_ORIGIN) % width


def bucket_index(moment: datetime, width: timedelta) -> int:
    """The index of the ``width`` bucket starting at ``moment``, counted from the origin."""
    return (moment - BUCKET_ORIGIN) // width


def bucket_start(index: int, width: timedelta) -> datetime:
    return BUCKET_ORIGIN + index * width


def ceil_to(moment: datetime, width: timedelta) -> datetime:
    floored = floor_to(moment, width)
    return floored if floored == moment else floored + width


_CLAIM_LATE_DATA = """
WITH claimed AS (
    DELETE FROM trend_rollups_pending WHERE machine_id = %(machine)s RETURNING since
)
UPDATE trend_rollup_state AS s
SET rolled_up_until = LEAST(s.rolled_up_until, time_bucket(%(finest)s::interval, c.since)),
    revision = CASE WHEN time_bucket(%(finest)s::interval, c.since) < s.rolled_up_until
                    THEN nextval('trend_rollup_revisions') ELSE s.revision END
FROM claimed AS c
WHERE s.machine_id = %(machine)s
"""

_STATE = "SELECT rolled_up_until FROM trend_rollup_state WHERE machine_id = %(machine)s"

_EARLIEST = "SELECT time FROM telemetry WHERE machine_id = %(machine)s ORDER BY time LIMIT 1"

_FROM_RAW = """
INSERT INTO trend_rollups AS r
    (level_s, machine_id, signal, bucket, avg_value, min_value, max_value, samples)
SELECT %(level)s, machine_id, signal, time_bucket(%(width)s::interval, time),
       avg(value), min(value), max(value), count(*)
FROM telemetry
WHERE machine_id = %(machine)s AND time >= %(since)s AND time < %(until)s
GROUP BY 1, 2, 3, 4
ON CONFLICT (level_s, machine_id, signal, bucket) DO UPDATE
SET avg_value = EXCLUDED.avg_value, min_value = EXCLUDED.min_value,
    max_value = EXCLUDED.max_value, samples = EXCLUDED.samples
"""

# A coarser bucket's average weights each finer bucket by its samples.
_FROM_FINER = """
INSERT INTO trend_rollups AS r
    (level_s, machine_id, signal, bucket, avg_value, min_value, max_value, samples)
SELECT %(level)s, machine_id, signal, time_bucket(%(width)s::interval, bucket),
       sum(avg_value * samples) / sum(samples), min(min_value), max(max_value), sum(samples)
FROM trend_rollups
WHERE level_s = %(finer)s AND machine_id = %(machine)s
  AND bucket >= %(since)s AND bucket < %(until)s
GROUP BY 1, 2, 3, 4
ON CONFLICT (level_s, machine_id, signal, bucket) DO UPDATE
SET avg_value = EXCLUDED.avg_value, min_value = EXCLUDED.min_value,
    max_value = EXCLUDED.max_value, samples = EXCLUDED.samples
"""

_ADVANCE = """
INSERT INTO trend_rollup_state (machine_id, rolled_up_until) VALUES (%(machine)s, %(until)s)
ON CONFLICT (machine_id) DO UPDATE SET rolled_up_until = EXCLUDED.rolled_up_until
"""


@dataclass(frozen=True, slots=True)
class RollupProgress:
    """What one refresh of one machine did: the span rolled up, if any."""

    machine_id: str
    since: datetime | None
    until: datetime | None
    steps: int


async def refresh_machine_rollups(
    conn: Connection, *, machine_id: str, signals: Sequence[str], max_steps: int | None = None
) -> RollupProgress:
    """Roll up ``machine_id``'s samples from where its rollups end (or its late data
    begins) to ``SETTLED`` before its newest sample, ``STEP`` per transaction.

    ``max_steps`` bounds one call, so a long backfill shares the refresher with the
    other machines; the next call goes on from where this one stopped.
    """
    await _claim_late_data(conn, machine_id)
    since = await _rolled_up_until(conn, machine_id)
    newest = await latest_time_of(conn, signals=[(machine_id, s) for s in signals])
    await conn.commit()  # the reads end here: each step below commits on its own
    if since is None or newest is None:
        return RollupProgress(machine_id, None, None, 0)
    end = floor_to(newest - SETTLED, FINEST)
    started, steps = since, 0
    while since < end and (max_steps is None or steps < max_steps):
        until = min(since + STEP, end)
        async with conn.transaction():
            await _roll_up(conn, machine_id, since, until)
        since, steps = until, steps + 1
    if steps == 0:
        return RollupProgress(machine_id, None, None, 0)
    return RollupProgress(machine_id, started, since, steps)


async def _claim_late_data(conn: Connection, machine_id: str) -> None:
    async with conn.transaction():
        await conn.execute(_CLAIM_LATE_DATA, {"machine": machine_id, "finest": FINEST})


async def _rolled_up_until(conn: Connection, machine_id: str) -> datetime | None:
    """Where rolling up resumes: the state's mark, or the machine's first 15 minutes."""
    cursor = await conn.execute(_STATE, {"machine": machine_id})
    row = await cursor.fetchone()
    if row is not None:
        known: datetime = row[0]
        return known
    cursor = await conn.execute(_EARLIEST, {"machine": machine_id})
    row = await cursor.fetchone()
    return floor_to(row[0], COARSEST) if row is not None else None


async def _roll_up(conn: Connection, machine_id: str, since: datetime, until: datetime) -> None:
    """Every level's buckets that end in ``since..until`` (5-second boundaries), then the
    state's mark.

    A level's buckets are those starting from its floor of ``since``: the one that
    holds ``since`` ended after the old mark, so it was not written yet, and is
    written now whole if it ends by ``until``. Its finer level already reaches as far.
    """
    await conn.execute(_FROM_RAW, _level_span(machine_id, LEVELS_S[0], since, until))
    for finer, level in pairwise(LEVELS_S):
        await conn.execute(
            _FROM_FINER, {**_level_span(machine_id, level, since, until), "finer": finer}
        )
    await conn.execute(_ADVANCE, {"machine": machine_id, "until": until})


def _level_span(
    machine_id: str, level_s: int, since: datetime, until: datetime
) -> dict[str, object]:
    width = timedelta(seconds=level_s)
    return {
        "machine": machine_id,
        "level": level_s,
        "width": width,
        "since": floor_to(since, width),
        "until": floor_to(until, width),
    }


async def drop_old_rollups(conn: Connection, *, older_than: timedelta) -> int:
    """Drop rollup chunks past telemetry's retention; the chunks dropped."""
    cursor = await conn.execute(
        "SELECT count(*) FROM drop_chunks('trend_rollups', older_than => now() - %s::interval)",
        (older_than,),
    )
    row = await cursor.fetchone()
    dropped = int(row[0]) if row else 0
    if dropped:
        # Trends kept between reads (storage/trend_cache.py) may hold what went.
        await conn.execute(
            "UPDATE trend_rollup_state SET revision = nextval('trend_rollup_revisions')"
        )
    await conn.commit()
    return dropped
