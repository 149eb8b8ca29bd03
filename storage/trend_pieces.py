"""Which stored rollups and raw samples one trend read takes, span by span.

A trend's grid (storage/trend_queries.py) splits ``since..until`` in two kinds of
span:

- **whole buckets**: every bucket of the grid that lies inside the range and ends
  before the machine's rollups do. They do not change while the rollups stand, so a
  process keeps them between reads (storage/trend_cache.py) and the database fills
  only the ones it lacks, from the coarsest stored level dividing the width;
- **edges**: the partial first and last buckets and whatever is not rolled up yet.
  Each is covered by the coarsest stored buckets that fit inside it and finer ones
  toward its ends, raw samples only for the few seconds no level covers and past
  the rollups' end. A partial 15-minute bucket reads some ten rows, not 900.

Pure: the plan is computed from the grid, where the rollups end and what the cache
holds; storage/trend_statement.py runs it in one statement and
storage/trend_reader.py lays the answer on the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.intervals import Interval, subtract
from storage.trend_rollups import LEVELS_S, ceil_to, floor_to

# Timestamps in PostgreSQL are microseconds: ``time <= until`` is ``time < until + 1 µs``.
_RESOLUTION = timedelta(microseconds=1)
# Before any stored sample: "nothing is rolled up".
NOTHING_ROLLED_UP = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredSpan:
    """Stored buckets of one level whose starts fall in ``span``."""

    level_s: int
    span: Interval


@dataclass(frozen=True, slots=True)
class Cover:
    """A span as stored buckets and raw samples, none counted twice."""

    stored: tuple[StoredSpan, ...]
    raw: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """What one read takes from where.

    ``whole``: the grid's whole buckets (empty for widths no level divides);
    ``fills``: the parts of ``whole`` the cache lacks, read from ``fill_level_s``;
    ``edges``: everything of ``since..until`` outside ``whole``.
    """

    width: timedelta
    whole: Interval
    fills: tuple[Interval, ...]
    fill_level_s: int | None
    edges: Cover


def levels_dividing(width: timedelta) -> list[int]:
    """The stored levels whose buckets fit whole in one of ``width``, finest first;
    each divides the next, so a span is covered coarse in the middle, fine at its ends."""
    width_s = width.total_seconds()
    return [level for level in LEVELS_S if level <= width_s and width_s % level == 0]


def cover(span: Interval, levels_s: Sequence[int], complete: datetime) -> Cover:
    """``span`` as buckets of ``levels_s`` that end by ``complete`` and raw samples for
    the rest: before the first whole finest bucket, after the last, and from
    ``complete`` on."""
    if span.empty:
        return Cover((), ())
    rolled = Interval(span.start, min(span.end, complete))
    stored: list[StoredSpan] = []
    raw: list[Interval] = []
    if rolled.empty:
        raw.append(span)
    else:
        _cover_rolled(rolled, list(levels_s), stored, raw)
        if rolled.end < span.end:
            raw.append(Interval(rolled.end, span.end))
    return Cover(tuple(stored), _merged(raw))


def _cover_rolled(
    span: Interval, levels_s: list[int], stored: list[StoredSpan], raw: list[Interval]
) -> None:
    if span.empty:
        return
    if not levels_s:
        raw.append(span)
        return
    *finer, level_s = levels_s
    width = timedelta(seconds=level_s)
    inner = Interval(ceil_to(span.start, width), floor_to(span.end, width))
    if inner.empty:
        _cover_rolled(span, finer, stored, raw)
        return
    _cover_rolled(Interval(span.start, inner.start), finer, stored, raw)
    stored.append(StoredSpan(level_s, inner))
    _cover_rolled(Interval(inner.end, span.end), finer, stored, raw)


def _merged(spans: list[Interval]) -> tuple[Interval, ...]:
    """Adjacent spans as one, in time order."""
    merged: list[Interval] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and merged[-1].end == span.start:
            merged[-1] = Interval(merged[-1].start, span.end)
        else:
            merged.append(span)
    return tuple(merged)


def plan_read(
    *,
    since: datetime,
    until: datetime,
    width: timedelta,
    complete: datetime,
    cached: Interval | None,
) -> ReadPlan:
    """The plan for ``since..until`` (both included) on a grid of ``width``, with the
    machine's rollups complete before ``complete`` and ``cached`` whole buckets at hand.

    The whole buckets the cache lacks are at most two spans, one before what it holds
    and one after; a cache that shares no bucket with the range is not used.
    """
    end = until + _RESOLUTION
    levels_s = levels_dividing(width)
    if not levels_s:
        return ReadPlan(
            width, Interval(since, since), (), None, cover(Interval(since, end), (), complete)
        )
    first_whole = ceil_to(since, width)
    whole = Interval(first_whole, max(first_whole, floor_to(min(end, complete), width)))
    head = cover(Interval(since, min(first_whole, end)), levels_s, complete)
    tail = cover(Interval(max(whole.end, since), end), levels_s, complete)
    edges = Cover(head.stored + tail.stored, _merged([*head.raw, *tail.raw]))
    fills = tuple(subtract(whole, [cached] if cached is not None else []))
    return ReadPlan(width, whole, fills, levels_s[-1], edges)
