"""Reading telemetry back: the latest sample of each series and trends over a range.

Per-series queries walk the ``(machine_id, signal, time DESC)`` index one series
at a time, so their cost does not grow with the history kept. Long trends read
the stored trend rollups instead of raw rows. Samples of every quality are
returned, with their quality where it is kept: support wants to see bad ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.readings import LatestValue, Quality, Trend, TrendPoint
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter
from storage.trend_cache import TrendCache
from storage.trend_queries import BucketGrid
from storage.trend_reader import signal_buckets

# Ranges up to this long are drawn from raw samples, longer ones from the rollup.
RAW_RANGE = timedelta(hours=1)
# A chart needs no more points than it has pixels; wider ranges get wider buckets.
MAX_POINTS = 1500
_ROLLUP_WIDTH = timedelta(minutes=1)
_MACHINE_IN_SCOPE = scope_filter("machine", "machine_id")


async def latest_values(
    conn: Connection,
    *,
    machine_ids: Sequence[str],
    signals: Sequence[str],
    scope: CustomerScope,
) -> list[LatestValue]:
    """The newest sample of every (machine, signal) pair that has one, of the scope's
    machines only.

    A LATERAL ``LIMIT 1`` per pair reads one index entry each instead of
    scanning the history, as ``DISTINCT ON`` would.
    """
    pairs = [(machine, signal) for machine in machine_ids for signal in signals]
    if not pairs:
        return []
    cursor = await conn.execute(
        f"""
        SELECT s.machine_id, s.signal, t.time, t.value, t.quality
        FROM unnest(%(machines)s::text[], %(signals)s::text[]) AS s (machine_id, signal)
        CROSS JOIN LATERAL (
            SELECT time, value, quality FROM telemetry
            WHERE telemetry.machine_id = s.machine_id AND telemetry.signal = s.signal
            ORDER BY time DESC
            LIMIT 1
        ) AS t
        WHERE {scope_filter("machine", "s.machine_id")}
        """,
        {
            "machines": [m for m, _ in pairs],
            "signals": [s for _, s in pairs],
            **scope.params,
        },
    )
    return [
        LatestValue(
            machine_id=row[0], signal=row[1], time=row[2], value=row[3], quality=Quality(row[4])
        )
        for row in await cursor.fetchall()
    ]


async def latest_time(
    conn: Connection, *, machine_ids: Sequence[str], signal: str, scope: CustomerScope
) -> datetime | None:
    """When any of the scope's machines last reported the signal; default ranges anchor here."""
    latest = await latest_values(conn, machine_ids=machine_ids, signals=[signal], scope=scope)
    return max((v.time for v in latest), default=None)


def bucket_width(since: datetime, until: datetime, floor: timedelta) -> timedelta:
    """The narrowest bucket, a whole multiple of ``floor``, keeping a range under MAX_POINTS."""
    multiples = math.ceil((until - since) / floor / MAX_POINTS)
    return floor * max(1, multiples)


async def trend(
    conn: Connection,
    *,
    machine_id: str,
    signal: str,
    since: datetime,
    until: datetime,
    scope: CustomerScope,
    cache: TrendCache,
) -> Trend:
    """Points of one series between ``since`` and ``until``, both inclusive, oldest first;
    no points for a machine outside the scope. Long ranges use and fill ``cache``, the
    whole buckets and rollup state the multi-signal trends keep (storage/trend_cache.py)."""
    series = _Series(machine_id, signal, since, until, scope)
    if until - since > RAW_RANGE:
        width = bucket_width(since, until, _ROLLUP_WIDTH)
        return Trend(bucket=width, points=await _rollup_points(conn, series, width, cache))
    raw = await _raw_points(conn, series, limit=MAX_POINTS + 1)
    if len(raw) <= MAX_POINTS:
        return Trend(bucket=None, points=raw)
    # A dense short range: bucket the raw rows on the fly rather than send them all.
    width = bucket_width(since, until, timedelta(seconds=1))
    return Trend(bucket=width, points=await _bucketed_raw(conn, series, width))


@dataclass(frozen=True, slots=True)
class _Series:
    """One machine's signal over a range, as a trend query reads it."""

    machine_id: str
    signal: str
    since: datetime
    until: datetime
    scope: CustomerScope

    def params(self) -> dict[str, object]:
        return {
            "machine": self.machine_id,
            "signal": self.signal,
            "since": self.since,
            "until": self.until,
            **self.scope.params,
        }


async def _raw_points(conn: Connection, series: _Series, *, limit: int) -> tuple[TrendPoint, ...]:
    cursor = await conn.execute(
        f"""
        SELECT time, value FROM telemetry
        WHERE machine_id = %(machine)s AND signal = %(signal)s
          AND time >= %(since)s AND time <= %(until)s AND {_MACHINE_IN_SCOPE}
        ORDER BY time
        LIMIT %(limit)s
        """,
        {**series.params(), "limit": limit},
    )
    return tuple(
        TrendPoint(time=row[0], value=row[1], min_value=row[1], max_value=row[1], samples=1)
        for row in await cursor.fetchall()
    )


async def _bucketed_raw(
    conn: Connection, series: _Series, width: timedelta
) -> tuple[TrendPoint, ...]:
    cursor = await conn.execute(
        f"""
        SELECT time_bucket(%(width)s::interval, time) AS bucket,
               avg(value), min(value), max(value), count(*)
        FROM telemetry
        WHERE machine_id = %(machine)s AND signal = %(signal)s
          AND time >= %(since)s AND time <= %(until)s AND {_MACHINE_IN_SCOPE}
        GROUP BY bucket
        ORDER BY bucket
        """,
        {**series.params(), "width": width},
    )
    return _points(await cursor.fetchall())


async def _rollup_points(
    conn: Connection, series: _Series, width: timedelta, cache: TrendCache
) -> tuple[TrendPoint, ...]:
    # The stored trend rollups (storage/trend_rollups.py), exact at the range's edges.
    grid = BucketGrid(since=series.since, until=series.until, width=width)
    (buckets,) = await signal_buckets(
        conn,
        machine_id=series.machine_id,
        signals=[series.signal],
        grid=grid,
        scope=series.scope,
        cache=cache,
    )
    return tuple(
        TrendPoint(time=b.time, value=b.avg, min_value=b.min, max_value=b.max, samples=b.samples)
        for b in buckets.buckets
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
