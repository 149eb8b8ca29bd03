"""Reading telemetry back: the latest sample of each series and trends over a range.

Per-series queries walk the ``(machine_id, signal, time DESC)`` index one series
at a time, so their cost does not grow with the history kept. Long trends read
the stored trend rollups instead of raw rows. Samples of every quality are
returned, with their quality where it is kept: support wants to see bad ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from models.readings import LatestValue, Quality, Trend, TrendPoint
from storage.connections import Connection
from storage.trend_queries import BucketGrid, signal_buckets

# Ranges up to this long are drawn from raw samples, longer ones from the rollup.
RAW_RANGE = timedelta(hours=1)
# A chart needs no more points than it has pixels; wider ranges get wider buckets.
MAX_POINTS = 1500
_ROLLUP_WIDTH = timedelta(minutes=1)


async def latest_values(
    conn: Connection, *, machine_ids: Sequence[str], signals: Sequence[str]
) -> list[LatestValue]:
    """The newest sample of every (machine, signal) pair that has one.

    A LATERAL ``LIMIT 1`` per pair reads one index entry each instead of
    scanning the history, as ``DISTINCT ON`` would.
    """
    pairs = [(machine, signal) for machine in machine_ids for signal in signals]
    if not pairs:
        return []
    cursor = await conn.execute(
        """
        SELECT s.machine_id, s.signal, t.time, t.value, t.quality
        FROM unnest(%s::text[], %s::text[]) AS s (machine_id, signal)
        CROSS JOIN LATERAL (
            SELECT time, value, quality FROM telemetry
            WHERE telemetry.machine_id = s.machine_id AND telemetry.signal = s.signal
            ORDER BY time DESC
            LIMIT 1
        ) AS t
        """,
        ([m for m, _ in pairs], [s for _, s in pairs]),
    )
    return [
        LatestValue(
            machine_id=row[0], signal=row[1], time=row[2], value=row[3], quality=Quality(row[4])
        )
        for row in await cursor.fetchall()
    ]


async def latest_time(
    conn: Connection, *, machine_ids: Sequence[str], signal: str
) -> datetime | None:
    """When any of the machines last reported the signal; default ranges anchor here."""
    latest = await latest_values(conn, machine_ids=machine_ids, signals=[signal])
    return max((v.time for v in latest), default=None)


def bucket_width(since: datetime, until: datetime, floor: timedelta) -> timedelta:
    """The narrowest bucket, a whole multiple of ``floor``, keeping a range under MAX_POINTS."""
    multiples = math.ceil((until - since) / floor / MAX_POINTS)
    return floor * max(1, multiples)


async def trend(
    conn: Connection, *, machine_id: str, signal: str, since: datetime, until: datetime
) -> Trend:
    """Points of one series between ``since`` and ``until``, both inclusive, oldest first."""
    if until - since > RAW_RANGE:
        width = bucket_width(since, until, _ROLLUP_WIDTH)
        points = await _rollup_points(conn, machine_id, signal, since, until, width)
        return Trend(bucket=width, points=points)
    raw = await _raw_points(conn, machine_id, signal, since, until, limit=MAX_POINTS + 1)
    if len(raw) <= MAX_POINTS:
        return Trend(bucket=None, points=raw)
    # A dense short range: bucket the raw rows on the fly rather than send them all.
    width = bucket_width(since, until, timedelta(seconds=1))
    return Trend(
        bucket=width, points=await _bucketed_raw(conn, machine_id, signal, since, until, width)
    )


async def _raw_points(
    conn: Connection,
    machine_id: str,
    signal: str,
    since: datetime,
    until: datetime,
    *,
    limit: int,
) -> tuple[TrendPoint, ...]:
    cursor = await conn.execute(
        """
        SELECT time, value FROM telemetry
        WHERE machine_id = %s AND signal = %s AND time >= %s AND time <= %s
        ORDER BY time
        LIMIT %s
        """,
        (machine_id, signal, since, until, limit),
    )
    return tuple(
        TrendPoint(time=row[0], value=row[1], min_value=row[1], max_value=row[1], samples=1)
        for row in await cursor.fetchall()
    )


async def _bucketed_raw(
    conn: Connection,
    machine_id: str,
    signal: str,
    since: datetime,
    until: datetime,
    width: timedelta,
) -> tuple[TrendPoint, ...]:
    cursor = await conn.execute(
        """
        SELECT time_bucket(%s::interval, time) AS bucket,
               avg(value), min(value), max(value), count(*)
        FROM telemetry
        WHERE machine_id = %s AND signal = %s AND time >= %s AND time <= %s
        GROUP BY bucket
        ORDER BY bucket
        """,
        (width, machine_id, signal, since, until),
    )
    return _points(await cursor.fetchall())


async def _rollup_points(
    conn: Connection,
    machine_id: str,
    signal: str,
    since: datetime,
    until: datetime,
    width: timedelta,
) -> tuple[TrendPoint, ...]:
    # The stored trend rollups (storage/trend_rollups.py), exact at the range's edges.
    grid = BucketGrid(since=since, until=until, width=width)
    (series,) = await signal_buckets(conn, machine_id=machine_id, signals=[signal], grid=grid)
    return tuple(
        TrendPoint(time=b.time, value=b.avg, min_value=b.min, max_value=b.max, samples=b.samples)
        for b in series.buckets
    )


def _points(rows: Sequence[tuple[datetime, float, float, float, int]]) -> tuple[TrendPoint, ...]:
    return tuple(
        TrendPoint(
            time=row[0], value=row[1], min_value=row[2], max_value=row[3], samples=int(row[4])
        )
        for row in rows
    )


async def latest_counter_values(conn: Connection) -> dict[str, tuple[int, int]]:
    """The newest (good, reject) counter readings of every machine that has both."""
    cursor = await conn.execute(
        """
        SELECT m.id, good.value, reject.value
        FROM machines m
        CROSS JOIN LATERAL (
            SELECT value FROM telemetry
            WHERE machine_id = m.id AND signal = 'good_count' ORDER BY time DESC LIMIT 1
        ) good
        CROSS JOIN LATERAL (
            SELECT value FROM telemetry
            WHERE machine_id = m.id AND signal = 'reject_count' ORDER BY time DESC LIMIT 1
        ) reject
        """
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in await cursor.fetchall()}
