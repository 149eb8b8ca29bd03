"""Trends of several signals over any range, reduced in the database to a chart's width.

Every signal of a request shares one bucket grid: the same width, aligned on
``time_bucket``'s fixed origin, so a chart can draw them under one cursor and a
sister machine's series line up with the first machine's. Each bucket keeps its
minimum and maximum beside its average (min-max per pixel): a one-second spike
in a month of 1 Hz data still shows at a thousand points.

Bucket widths come from a ladder of round values, so two requests for nearly the
same range get the same grid. Every width from 5 s up is a multiple of a stored
rollup level (storage/trend_rollups.py), so the database re-buckets at most a
few rows per point: the coarsest level that divides the width, for the whole
buckets inside the range and before the machine's rollups end; raw samples for
the partial buckets at the range's edges and for what is not rolled up yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter
from storage.trend_rollups import COARSEST, LEVELS_S, ceil_to, floor_to

# Round bucket widths, in seconds: a grid stays put while a range is nudged.
_WIDTH_LADDER_S = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
)  # fmt: skip


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


def rollup_level(grid: BucketGrid) -> timedelta | None:
    """The coarsest stored level whose buckets fit whole in the grid's; None: raw only."""
    width_s = grid.width.total_seconds()
    fitting = [level for level in LEVELS_S if level <= width_s and width_s % level == 0]
    return timedelta(seconds=fitting[-1]) if fitting else None


_RAW_BUCKETS = """
SELECT signal, time_bucket(%(width)s::interval, time) AS bucket,
       avg(value), min(value), max(value), count(*)
FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= %(since)s AND time <= %(until)s
GROUP BY signal, bucket
"""

# Three parts, each an index range: the stored level's whole buckets inside the
# range and before the machine's rollups end (lowered by late data still pending),
# and raw samples for the head (before the first whole bucket) and the tail.
_ROLLUP_BUCKETS = """
WITH complete AS (
    SELECT LEAST(
        COALESCE((SELECT rolled_up_until FROM trend_rollup_state
                  WHERE machine_id = %(machine)s), '-infinity'),
        COALESCE((SELECT time_bucket(%(coarsest)s::interval, since) FROM trend_rollups_pending
                  WHERE machine_id = %(machine)s), 'infinity')
    ) AS rolled_up
), parts (signal, time, total, low, high, samples) AS (
    SELECT signal, bucket, avg_value * samples, min_value, max_value, samples
    FROM trend_rollups
    WHERE level_s = %(level)s AND machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND bucket >= %(head_end)s
      AND bucket < LEAST(%(tail_start)s, (SELECT rolled_up FROM complete))
    UNION ALL
    SELECT signal, time, value, value, value, 1
    FROM telemetry
    WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND time >= %(since)s AND time < %(head_end)s AND time <= %(until)s
    UNION ALL
    SELECT signal, time, value, value, value, 1
    FROM telemetry
    WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND time >= GREATEST(%(head_end)s, LEAST(%(tail_start)s, (SELECT rolled_up FROM complete)))
      AND time <= %(until)s
)
SELECT signal, time_bucket(%(width)s::interval, time) AS bucket,
       sum(total) / sum(samples), min(low), max(high), sum(samples)
FROM parts
GROUP BY signal, bucket
"""

# The buckets laid on the grid and written as JSON in the database: one row per
# signal with a JSON array per figure, null where a bucket had no sample, and the
# grid's bucket starts once. The API passes the arrays through: parsing and
# printing thousands of numbers in Python cost more than the query itself.
# ``dense`` is ordered by signal and slot and the arrays are aggregated in that
# input order (PostgreSQL 15 would sort once per ordered aggregate).
_ALIGNED = """
WITH buckets (signal, bucket, avg, low, high, samples) AS ({buckets}),
slots AS (
    SELECT i, %(first)s::timestamptz + i * %(width)s::interval AS bucket
    FROM generate_series(0, %(count)s - 1) AS i
),
dense AS (
    SELECT wanted.ord, b.avg, b.low, b.high, b.samples
    FROM unnest(%(signals)s::text[]) WITH ORDINALITY AS wanted (signal, ord)
    CROSS JOIN slots
    LEFT JOIN buckets AS b ON b.signal = wanted.signal AND b.bucket = slots.bucket
    WHERE {within_scope}
    ORDER BY wanted.ord, slots.i
)
SELECT (SELECT to_json(array_agg(bucket ORDER BY i))::text FROM slots),
       to_json(array_agg(avg::float8))::text,
       to_json(array_agg(low::float8))::text,
       to_json(array_agg(high::float8))::text,
       to_json(array_agg(COALESCE(samples, 0)::bigint))::text
FROM dense
GROUP BY ord
ORDER BY ord
"""


def grid_slots(grid: BucketGrid) -> tuple[datetime, int]:
    """The first bucket start touching ``since..until`` and how many buckets cover it."""
    first = floor_to(grid.since, grid.width)
    return first, (grid.until - first) // grid.width + 1


def _bucket_statement(grid: BucketGrid) -> str:
    return _RAW_BUCKETS if rollup_level(grid) is None else _ROLLUP_BUCKETS


def trend_statement(grid: BucketGrid) -> str:
    """The SQL one trend request runs (also timed alone by the benchmark); it takes
    ``trend_parameters`` and a ``CustomerScope``'s ``params``."""
    return _ALIGNED.format(
        buckets=_bucket_statement(grid), within_scope=scope_filter("machine", "%(machine)s")
    )


def trend_parameters(
    grid: BucketGrid, *, machine_id: str, signals: Sequence[str]
) -> dict[str, object]:
    first, count = grid_slots(grid)
    parameters: dict[str, object] = {
        "width": grid.width,
        "machine": machine_id,
        "signals": list(signals),
        "since": grid.since,
        "until": grid.until,
        "first": first,
        "count": count,
    }
    level = rollup_level(grid)
    if level is not None:
        parameters |= {
            "level": int(level.total_seconds()),
            # Rollups end on the coarsest level's boundaries, late data too.
            "coarsest": COARSEST,
            "head_end": ceil_to(grid.since, level),
            "tail_start": floor_to(grid.until, level),
        }
    return parameters


@dataclass(frozen=True, slots=True)
class SeriesJson:
    """One signal on the whole grid, each figure a JSON array with one entry per bucket
    (null where it had no sample; ``samples`` 0), as the database wrote it."""

    signal: str
    avg: str
    min: str
    max: str
    samples: str


@dataclass(frozen=True, slots=True)
class AlignedJson:
    """The grid's bucket starts (a JSON array of ISO 8601 times with the session's UTC
    offset) and each signal on it."""

    times: str
    series: list[SeriesJson]


async def aligned_json(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    scope: CustomerScope,
) -> AlignedJson | None:
    """Each signal's figures on every bucket of the grid, in the order of ``signals``;
    None when the machine is not the scope's."""
    cursor = await conn.execute(
        trend_statement(grid),
        trend_parameters(grid, machine_id=machine_id, signals=signals) | scope.params,
    )
    rows = await cursor.fetchall()
    if not rows:
        return None
    return AlignedJson(
        times=rows[0][0],
        series=[SeriesJson(signal, *row[1:]) for signal, row in zip(signals, rows, strict=True)],
    )


async def signal_buckets(
    conn: Connection, *, machine_id: str, signals: Sequence[str], grid: BucketGrid
) -> list[SignalBuckets]:
    """The buckets of each signal on the grid, in the order of ``signals``; empty buckets
    are left out."""
    cursor = await conn.execute(
        _bucket_statement(grid) + " ORDER BY 1, 2",
        trend_parameters(grid, machine_id=machine_id, signals=signals),
    )
    by_signal: dict[str, list[Bucket]] = {signal: [] for signal in signals}
    for signal, time, avg, low, high, samples in await cursor.fetchall():
        by_signal[signal].append(Bucket(time, float(avg), float(low), float(high), int(samples)))
    return [SignalBuckets(signal, tuple(by_signal[signal])) for signal in signals]


_CONTRIBUTION_BUCKETS = f"""
SELECT c.signal, time_bucket(%(width)s::interval, s.time) AS bucket,
       avg(c.contribution), min(c.contribution), max(c.contribution), count(*)
FROM anomaly_scores s
CROSS JOIN LATERAL jsonb_to_recordset(s.contributions) AS c (signal text, contribution float8)
WHERE s.machine_id = %(machine)s AND s.time >= %(since)s AND s.time <= %(until)s
  AND c.contribution IS NOT NULL AND {scope_filter("machine", "s.machine_id")}
GROUP BY c.signal, bucket
ORDER BY c.signal, bucket
"""


async def contribution_buckets(
    conn: Connection, *, machine_id: str, grid: BucketGrid, scope: CustomerScope
) -> list[SignalBuckets]:
    """Each signal's share of the anomaly score per bucket, signals by name; none for a
    machine that is not the scope's.

    Scores stored before contributions were kept carry none and add nothing.
    """
    cursor = await conn.execute(
        _CONTRIBUTION_BUCKETS,
        {"width": grid.width, "machine": machine_id, "since": grid.since, "until": grid.until}
        | scope.params,
    )
    by_signal: dict[str, list[Bucket]] = {}
    for signal, time, avg, low, high, samples in await cursor.fetchall():
        by_signal.setdefault(signal, []).append(
            Bucket(time, float(avg), float(low), float(high), int(samples))
        )
    return [SignalBuckets(signal, tuple(buckets)) for signal, buckets in sorted(by_signal.items())]
