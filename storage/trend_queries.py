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

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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

# Rollups are complete up to the machine's mark, lowered by late data still pending.
_COMPLETE = """
complete AS (
    SELECT LEAST(
        COALESCE((SELECT rolled_up_until FROM trend_rollup_state
                  WHERE machine_id = %(machine)s), '-infinity'),
        COALESCE((SELECT time_bucket(%(coarsest)s::interval, since) FROM trend_rollups_pending
                  WHERE machine_id = %(machine)s), 'infinity')
    ) AS rolled_up
)"""

# The stored level's whole buckets inside the range and before the rollups end.
_STORED = """
SELECT signal, bucket, avg_value, min_value, max_value, samples
FROM trend_rollups
WHERE level_s = %(level)s AND machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND bucket >= %(head_end)s
  AND bucket < LEAST(%(tail_start)s, (SELECT rolled_up FROM complete))"""

# Raw samples around them: the head before the first whole bucket, and the tail from
# where the whole buckets or the rollups end.
_EDGES = """
SELECT signal, time, value
FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= %(since)s AND time < %(head_end)s AND time <= %(until)s
UNION ALL
SELECT signal, time, value
FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= GREATEST(%(head_end)s, LEAST(%(tail_start)s, (SELECT rolled_up FROM complete)))
  AND time <= %(until)s"""

# A width that is a multiple of the level: stored and raw rows re-bucketed together,
# each a few rows a bucket.
_ROLLUP_BUCKETS = f"""
WITH {_COMPLETE},
parts (signal, time, total, low, high, samples) AS (
    SELECT signal, bucket, avg_value * samples, min_value, max_value, samples
    FROM ({_STORED}) AS stored
    UNION ALL
    SELECT signal, time, value, value, value, 1 FROM ({_EDGES}) AS edges
)
SELECT signal, time_bucket(%(width)s::interval, time) AS bucket,
       sum(total) / sum(samples), min(low), max(high), sum(samples)
FROM parts
GROUP BY signal, bucket
"""

# The width of the level itself: the stored rows are the buckets, and only the raw
# edges, which fall in buckets of their own, are bucketed here.
_LEVEL_BUCKETS = f"""
WITH {_COMPLETE}
{_STORED}
UNION ALL
SELECT signal, time_bucket(%(width)s::interval, time) AS bucket,
       avg(value), min(value), max(value), count(*)
FROM ({_EDGES}) AS edges
GROUP BY signal, bucket
"""

# Each signal's buckets in time order, written as JSON arrays in the database: its
# average, minimum, maximum and sample count, with the first and last slot they
# take on the grid, and the slot of each only when they are not one run. The API
# passes the arrays through (``_on_grid`` only adds nulls where a bucket had no
# sample): parsing and printing thousands of numbers in Python cost more than the
# query itself. A first row, present only within the scope, holds the grid's bucket
# starts. The buckets are sorted once and aggregated in that order, grouped by the
# same bytewise name order so a grouping sort cannot reshuffle them: PostgreSQL 15
# sorts once per ordered aggregate, and laying them on the grid with a join, or
# sorting on collated names, cost more than the rest of the query.
_ALIGNED = """
WITH buckets (signal, bucket, avg, low, high, samples) AS ({buckets}),
ordered AS (
    SELECT signal, avg, low, high, samples,
           round(date_part('epoch', bucket - %(first)s::timestamptz) / %(width_s)s)::integer
               AS slot
    FROM buckets
    WHERE {within_scope}
    ORDER BY signal COLLATE "C", bucket
)
SELECT NULL, NULL::integer, NULL::integer, (
    SELECT to_json(array_agg(%(first)s::timestamptz + i * %(width)s::interval ORDER BY i))::text
    FROM generate_series(0, %(count)s - 1) AS i
), NULL, NULL, NULL, NULL
WHERE {within_scope}
UNION ALL
SELECT signal COLLATE "C", min(slot), max(slot),
       CASE WHEN max(slot) - min(slot) + 1 > count(*) THEN to_json(array_agg(slot))::text END,
       to_json(array_agg(avg::float8))::text,
       to_json(array_agg(low::float8))::text,
       to_json(array_agg(high::float8))::text,
       to_json(array_agg(samples::bigint))::text
FROM ordered
GROUP BY signal COLLATE "C"
"""


def grid_slots(grid: BucketGrid) -> tuple[datetime, int]:
    """The first bucket start touching ``since..until`` and how many buckets cover it."""
    first = floor_to(grid.since, grid.width)
    return first, (grid.until - first) // grid.width + 1


def _bucket_statement(grid: BucketGrid) -> str:
    level = rollup_level(grid)
    if level is None:
        return _RAW_BUCKETS
    return _LEVEL_BUCKETS if level == grid.width else _ROLLUP_BUCKETS


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
        "width_s": grid.width.total_seconds(),
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
    """The grid's bucket starts (a JSON array of ISO 8601 times, in the session's zone:
    UTC on the API's connections) and each signal on it."""

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
    times = next((row[3] for row in rows if row[0] is None), None)
    if times is None:
        return None
    _, count = grid_slots(grid)
    found = {row[0]: row[1:] for row in rows if row[0] is not None}
    return AlignedJson(
        times=times,
        series=[_on_grid(signal, found.get(signal), count) for signal in signals],
    )


def _on_grid(signal: str, found: tuple[Any, ...] | None, count: int) -> SeriesJson:
    """A signal's arrays with an entry for every slot: null (0 samples) where its
    buckets left one empty. ``found`` is the database's row: the first and last slot
    the buckets take, their slots when these are not one run, and the figures."""
    if found is None:
        nulls = _filled([], [], count, "null")
        return SeriesJson(signal, nulls, nulls, nulls, _filled([], [], count, "0"))
    first_slot, last_slot, slots_json, avg, low, high, samples = found
    if slots_json is None:
        # One run of buckets, the common case (a range reaching past the newest sample
        # ends in empty slots): pad the arrays as the database wrote them.
        before, after = first_slot, count - 1 - last_slot
        return SeriesJson(
            signal,
            avg=_padded(avg, before, after, "null"),
            min=_padded(low, before, after, "null"),
            max=_padded(high, before, after, "null"),
            samples=_padded(samples, before, after, "0"),
        )
    slots: list[int] = json.loads(slots_json)
    return SeriesJson(
        signal,
        avg=_filled(slots, _entries(avg), count, "null"),
        min=_filled(slots, _entries(low), count, "null"),
        max=_filled(slots, _entries(high), count, "null"),
        samples=_filled(slots, _entries(samples), count, "0"),
    )


def _padded(array_json: str, before: int, after: int, empty: str) -> str:
    if before == after == 0:
        return array_json
    return "[" + f"{empty}," * before + array_json[1:-1] + f",{empty}" * after + "]"


def _entries(array_json: str) -> list[str]:
    """The entries of a flat JSON array of numbers, as written: no entry holds a comma."""
    return array_json[1:-1].split(",")


def _filled(slots: list[int], entries: list[str], count: int, empty: str) -> str:
    dense = [empty] * count
    for slot, entry in zip(slots, entries, strict=True):
        dense[slot] = entry
    return "[" + ",".join(dense) + "]"


async def signal_buckets(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    scope: CustomerScope,
) -> list[SignalBuckets]:
    """The buckets of each signal on the grid, in the order of ``signals``; empty buckets
    are left out, and every bucket of a machine that is not the scope's."""
    cursor = await conn.execute(
        f"SELECT * FROM ({_bucket_statement(grid)}) AS buckets"
        f" WHERE {scope_filter('machine', '%(machine)s')} ORDER BY 1, 2",
        trend_parameters(grid, machine_id=machine_id, signals=signals) | scope.params,
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
