"""Read plans (storage/trend_pieces.py): every second of a range read once, from the
coarsest stored buckets that fit, and what the cache holds left out."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from models.intervals import Interval
from storage.trend_pieces import (
    Cover,
    ReadPlan,
    cover,
    levels_dividing,
    plan_read,
)
from storage.trend_queries import bucket_grid
from storage.trend_rollups import COARSEST, FINEST, floor_to
from storage.trend_statement import FILL_SPANS, RAW_SPANS, SPANS_PER_LEVEL

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
EPSILON = timedelta(microseconds=1)


def _tiles(spans: list[Interval], whole: Interval) -> bool:
    """``spans`` cover ``whole`` exactly, without overlap."""
    ordered = sorted((s for s in spans if not s.empty), key=lambda s: s.start)
    cursor = whole.start
    for span in ordered:
        if span.start != cursor:
            return False
        cursor = span.end
    return cursor == whole.end


def _spans(c: Cover) -> list[Interval]:
    return [stored.span for stored in c.stored] + list(c.raw)


def test_a_partial_quarter_hour_is_read_from_coarse_buckets_and_a_few_raw_seconds() -> None:
    span = Interval(T0 + timedelta(minutes=3, seconds=7), T0 + timedelta(minutes=15))
    c = cover(span, [5, 30, 60, 300, 900], complete=T0 + timedelta(hours=1))
    assert [(s.level_s, s.span.start.strftime("%M:%S")) for s in c.stored] == [
        (5, "03:10"),
        (30, "03:30"),
        (60, "04:00"),
        (300, "05:00"),
    ]
    assert c.raw == (Interval(span.start, T0 + timedelta(minutes=3, seconds=10)),)
    assert _tiles(_spans(c), span)


def test_what_is_not_rolled_up_is_read_raw() -> None:
    complete = T0 + timedelta(minutes=15)
    span = Interval(T0, T0 + timedelta(minutes=20, seconds=3))
    c = cover(span, [5, 30, 60, 300, 900], complete=complete)
    assert [(s.level_s, s.span) for s in c.stored] == [(900, Interval(T0, complete))]
    assert c.raw == (Interval(complete, span.end),)
    nothing = cover(span, [5, 30, 60, 300, 900], complete=T0 - timedelta(days=1))
    assert nothing == Cover((), (span,))


@pytest.mark.parametrize("seed", range(40))
def test_every_plan_reads_each_moment_once_within_the_statements_slots(seed: int) -> None:
    rng = random.Random(seed)
    since = T0 + timedelta(seconds=rng.uniform(0, 86400))
    until = since + timedelta(seconds=_seconds_up_to_a_year(rng))
    points = rng.choice((2, 50, 300, 1000, 5000))
    grid = bucket_grid(since, until, points=points)
    # Where the rollups end: a 5-second boundary, some plans on a whole 15 minutes.
    mark = rng.choice((FINEST, COARSEST))
    complete = floor_to(since + (until - since) * rng.uniform(-0.2, 1.2), mark)
    plan = plan_read(since=since, until=until, width=grid.width, complete=complete, cached=None)
    end = until + EPSILON
    assert _tiles([*_spans(plan.edges), plan.whole], Interval(since, end))
    assert plan.fills == (() if plan.whole.empty else (plan.whole,))
    for stored in plan.edges.stored:
        level = timedelta(seconds=stored.level_s)
        assert stored.level_s in levels_dividing(grid.width)
        assert floor_to(stored.span.start, level) == stored.span.start
        assert floor_to(stored.span.end, level) == stored.span.end
        assert stored.span.end <= complete
    assert all(
        sum(s.level_s == level for s in plan.edges.stored) <= SPANS_PER_LEVEL
        for level in levels_dividing(grid.width)
    )
    assert len(plan.edges.raw) <= RAW_SPANS
    if not plan.whole.empty:
        assert plan.whole.end <= complete
        assert floor_to(plan.whole.start, grid.width) == plan.whole.start


def _seconds_up_to_a_year(rng: random.Random) -> float:
    """Log-uniform from a second to a year: short zooms and long views alike."""
    return math.exp(rng.uniform(0, math.log(365 * 86400)))


def _plan(cached: Interval | None) -> ReadPlan:
    since = T0 + timedelta(seconds=17)
    return plan_read(
        since=since,
        until=since + timedelta(days=7),
        width=timedelta(minutes=15),
        complete=since + timedelta(days=8),
        cached=cached,
    )


def test_only_the_whole_buckets_the_cache_lacks_are_filled() -> None:
    whole = _plan(None).whole
    assert whole == Interval(T0 + timedelta(minutes=15), T0 + timedelta(days=7))
    inside = Interval(whole.start + timedelta(hours=1), whole.end - timedelta(hours=2))
    assert _plan(inside).fills == (
        Interval(whole.start, inside.start),
        Interval(inside.end, whole.end),
    )
    older = Interval(whole.start - timedelta(days=1), whole.end - timedelta(hours=1))
    assert _plan(older).fills == (Interval(older.end, whole.end),)
    assert _plan(Interval(whole.start - timedelta(days=9), whole.start)).fills == (whole,)
    assert _plan(whole).fills == ()
    assert len(_plan(inside).fills) <= FILL_SPANS


def test_widths_no_level_divides_are_read_raw() -> None:
    plan = plan_read(
        since=T0, until=T0 + timedelta(minutes=10), width=timedelta(seconds=1),
        complete=T0 + timedelta(days=1), cached=None,
    )  # fmt: skip
    assert plan.whole.empty and plan.fill_level_s is None
    assert plan.edges == Cover((), (Interval(T0, T0 + timedelta(minutes=10) + EPSILON),))
