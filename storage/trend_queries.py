"""Trends of several signals over any range, reduced in the database to a chart's width.

Every signal of a request shares one bucket grid: the same width, aligned on
``time_bucket``'s fixed origin, so a chart can draw them under one cursor and a
sister machine's series line up with the first machine's. Each bucket keeps its
minimum and maximum beside its average (min-max per pixel): a one-second spike
in a month of 1 Hz data still shows at a thousand points.

Bucket widths come from a ladder of round values, so two requests for nearly the
same range get the same grid, and its whole buckets can be kept between reads.
Every width from 5 s up is a multiple of a stored rollup level
(storage/trend_rollups.py). storage/trend_reader.py reads trends on this grid;
this module holds the grid and the anomaly contributions' buckets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter
from storage.trend_pieces import levels_dividing
from storage.trend_rollups import floor_to

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
    levels_s = levels_dividing(grid.width)
    return timedelta(seconds=levels_s[-1]) if levels_s else None


def grid_slots(grid: BucketGrid) -> tuple[datetime, int]:
    """The first bucket start touching ``since..until`` and how many buckets cover it."""
    first = floor_to(grid.since, grid.width)
    return first, (grid.until - first) // grid.width + 1


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
