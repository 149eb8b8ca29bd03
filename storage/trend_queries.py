"""Trends of several signals over any range, reduced in the database to a chart's width.

Every signal of a request shares one bucket grid: the same width, aligned on
``time_bucket``'s fixed origin, so a chart can draw them under one cursor and a
sister machine's series line up with the first machine's. Each bucket keeps its
minimum and maximum beside its average (min-max per pixel): a one-second spike
in a month of 1 Hz data still shows at a thousand points.

Bucket widths come from a ladder of round values, so two requests for nearly the
same range get the same grid. Buckets of whole minutes read the ``telemetry_1m``
rollup when it is a continuous aggregate (the licensed edition); on the Apache
edition it is a view computed on read, slower than bucketing the raw rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.connections import Connection

# Round bucket widths, in seconds: a grid stays put while a range is nudged.
_WIDTH_LADDER_S = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
)  # fmt: skip
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class BucketGrid:
    """Buckets ``[start + k * width, start + (k + 1) * width)`` covering ``since..until``."""

    since: datetime
    until: datetime
    width: timedelta


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket of one signal: its average, extremes and how many samples made it."""

    time: datetime
    avg: float
    min: float
    max: float
    samples: int


@dataclass(frozen=True, slots=True)
class SignalBuckets:
    signal: str
    buckets: tuple[Bucket, ...]


def bucket_grid(since: datetime, until: datetime, *, points: int) -> BucketGrid:
    """The narrowest ladder width that draws ``since..until`` in at most ``points`` buckets.

    One bucket is kept spare: a range seldom starts on a bucket boundary, so its
    first and last buckets are partial and add one to ``span / width``.
    """
    if points < 2:
        raise ValueError("a trend needs at least two points")
    if until <= since:
        raise ValueError("since must be before until")
    needed_s = (until - since).total_seconds() / (points - 1)
    width_s = next((w for w in _WIDTH_LADDER_S if w >= needed_s), None)
    if width_s is None:
        width_s = math.ceil(needed_s / _WIDTH_LADDER_S[-1]) * _WIDTH_LADDER_S[-1]
    return BucketGrid(since=since, until=until, width=timedelta(seconds=width_s))


def reads_rollup(grid: BucketGrid, *, rollup_materialized: bool) -> bool:
    """Whether the grid's buckets are best read from the 1-minute rollup."""
    return rollup_materialized and grid.width % _MINUTE == timedelta(0)


_RAW_BUCKETS = """
SELECT signal, time_bucket(%(width)s::interval, time) AS bucket,
       avg(value), min(value), max(value), count(*)
FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= %(since)s AND time <= %(until)s
GROUP BY signal, bucket
ORDER BY signal, bucket
"""

# Re-bucketing the 1-minute rollup weights each minute's average by its samples.
# Minutes at the edges are whole, so the rollup may reach up to a minute past the range.
_ROLLUP_BUCKETS = """
SELECT signal, time_bucket(%(width)s::interval, bucket) AS wide,
       sum(avg_value * samples) / sum(samples), min(min_value), max(max_value),
       sum(samples)
FROM telemetry_1m
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND bucket >= time_bucket(INTERVAL '1 minute', %(since)s::timestamptz)
  AND bucket <= %(until)s
GROUP BY signal, wide
ORDER BY signal, wide
"""


def trend_statement(grid: BucketGrid, *, rollup_materialized: bool) -> str:
    """The SQL one trend request runs (also timed alone by the benchmark)."""
    if reads_rollup(grid, rollup_materialized=rollup_materialized):
        return _ROLLUP_BUCKETS
    return _RAW_BUCKETS


def trend_parameters(
    grid: BucketGrid, *, machine_id: str, signals: Sequence[str]
) -> dict[str, object]:
    return {
        "width": grid.width,
        "machine": machine_id,
        "signals": list(signals),
        "since": grid.since,
        "until": grid.until,
    }


async def signal_buckets(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    rollup_materialized: bool,
) -> list[SignalBuckets]:
    """The buckets of each signal on the grid, in the order of ``signals``; empty buckets
    are left out (the caller aligns them on the grid)."""
    cursor = await conn.execute(
        trend_statement(grid, rollup_materialized=rollup_materialized),
        trend_parameters(grid, machine_id=machine_id, signals=signals),
    )
    by_signal: dict[str, list[Bucket]] = {signal: [] for signal in signals}
    for signal, time, avg, low, high, samples in await cursor.fetchall():
        by_signal[signal].append(Bucket(time, float(avg), float(low), float(high), int(samples)))
    return [SignalBuckets(signal, tuple(by_signal[signal])) for signal in signals]


async def rollup_is_materialized(conn: Connection) -> bool:
    """True when ``telemetry_1m`` is stored (a continuous aggregate), not a plain view."""
    cursor = await conn.execute(
        "SELECT 1 FROM timescaledb_information.continuous_aggregates"
        " WHERE view_name = 'telemetry_1m'"
    )
    return await cursor.fetchone() is not None


_CONTRIBUTION_BUCKETS = """
SELECT c.signal, time_bucket(%(width)s::interval, s.time) AS bucket,
       avg(c.contribution), min(c.contribution), max(c.contribution), count(*)
FROM anomaly_scores s
CROSS JOIN LATERAL jsonb_to_recordset(s.contributions) AS c (signal text, contribution float8)
WHERE s.machine_id = %(machine)s AND s.time >= %(since)s AND s.time <= %(until)s
  AND c.contribution IS NOT NULL
GROUP BY c.signal, bucket
ORDER BY c.signal, bucket
"""


async def contribution_buckets(
    conn: Connection, *, machine_id: str, grid: BucketGrid
) -> list[SignalBuckets]:
    """Each signal's share of the anomaly score per bucket, signals by name.

    Scores stored before contributions were kept carry none and add nothing.
    """
    cursor = await conn.execute(
        _CONTRIBUTION_BUCKETS,
        {"width": grid.width, "machine": machine_id, "since": grid.since, "until": grid.until},
    )
    by_signal: dict[str, list[Bucket]] = {}
    for signal, time, avg, low, high, samples in await cursor.fetchall():
        by_signal.setdefault(signal, []).append(
            Bucket(time, float(avg), float(low), float(high), int(samples))
        )
    return [SignalBuckets(signal, tuple(buckets)) for signal, buckets in sorted(by_signal.items())]
