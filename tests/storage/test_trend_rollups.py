"""Stored trend rollups: trends read from them equal trends bucketed from raw samples."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from models.readings import Reading
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.trend_cache import TrendCache
from storage.trend_queries import SignalBuckets, bucket_grid, grid_slots, rollup_level
from storage.trend_reader import aligned_json, signal_buckets
from storage.trend_rollups import (
    FINEST,
    LEVELS_S,
    SETTLED,
    ceil_to,
    floor_to,
    refresh_machine_rollups,
)
from tests.storage.trend_factories import (
    MACHINE,
    SIGNALS,
    START,
    readings,
    write,
    write_and_roll_up,
)

pytestmark = pytest.mark.integration

HOURS = 6
# Where the rollups of HOURS of samples from START end: SETTLED before the newest.
MARK = datetime(2026, 3, 2, 12, 2, 5, tzinfo=UTC)


Row = tuple[str, datetime, float, float, float, int]


async def _raw(conn: Connection, since: datetime, until: datetime, points: int) -> list[Row]:
    """The grid bucketed straight from raw samples: what every rollup read must equal."""
    grid = bucket_grid(since, until, points=points)
    cursor = await conn.execute(
        "SELECT signal, time_bucket(%(width)s::interval, time) AS b,"
        " avg(value), min(value), max(value), count(*) FROM telemetry"
        " WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)"
        " AND time >= %(since)s AND time <= %(until)s GROUP BY 1, 2 ORDER BY 1, 2",
        {
            "width": grid.width,
            "machine": MACHINE,
            "signals": sorted(SIGNALS),
            "since": since,
            "until": until,
        },
    )
    return [(s, t, round(a, 9), lo, hi, n) for s, t, a, lo, hi, n in await cursor.fetchall()]


def _flat(series: list[SignalBuckets]) -> list[Row]:
    return sorted(
        (s.signal, b.time, round(b.avg, 9), b.min, b.max, b.samples)
        for s in series
        for b in s.buckets
    )


async def _via_rollups(
    conn: Connection, since: datetime, until: datetime, points: int
) -> list[Row]:
    grid = bucket_grid(since, until, points=points)
    return _flat(
        await signal_buckets(
            conn,
            machine_id=MACHINE,
            signals=sorted(SIGNALS),
            grid=grid,
            scope=EVERY_CUSTOMER,
            cache=TrendCache.disabled(),
        )
    )


async def _rolled_up_until(conn: Connection) -> datetime | None:
    cursor = await conn.execute(
        "SELECT rolled_up_until FROM trend_rollup_state WHERE machine_id = %s", (MACHINE,)
    )
    row = await cursor.fetchone()
    return row[0] if row else None


def test_rollup_levels_fit_whole_in_every_ladder_width() -> None:
    for span_s, points, level_s in (
        (100, 100, None),
        (3000, 1000, 5),
        (29000, 1000, 30),
        (86400, 1000, 60),
        (290000, 1000, 300),
        (7 * 86400, 1000, 900),
    ):
        since = START
        grid = bucket_grid(since, since + timedelta(seconds=span_s), points=points)
        level = rollup_level(grid)
        assert (None if level is None else level.total_seconds()) == level_s
        if level is not None:
            assert grid.width % level == timedelta(0)
    assert floor_to(START, timedelta(minutes=15)) == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    assert ceil_to(START, timedelta(minutes=15)) == datetime(2026, 3, 2, 6, 15, tzinfo=UTC)


async def test_trends_from_rollups_equal_trends_from_raw_samples(db_pool: Pool) -> None:
    rng = random.Random(3)
    async with db_pool.connection() as conn:
        progress = await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=1))
        assert progress.steps == 1
        # Rolled up to a minute before the newest sample (12:03:06), on a 5-second
        # boundary; what follows is read raw.
        assert await _rolled_up_until(conn) == MARK
        end = START + timedelta(hours=HOURS)
        for _ in range(25):
            span = timedelta(seconds=rng.uniform(60, HOURS * 3600))
            since = START + (end - START - span) * rng.random()
            points = rng.choice((50, 200, 1000))
            assert await _via_rollups(conn, since, since + span, points) == await _raw(
                conn, since, since + span, points
            )
        # Every width a level serves: its own (stored rows read as the buckets) and
        # its multiples (stored rows re-bucketed), both with raw edges.
        for width_s in (5, 10, 30, 60, 120, 300, 600, 900):
            points = min(1000, HOURS * 3500 // width_s)
            span = timedelta(seconds=width_s * (points - 1) - 1)
            since = START + (end - START - span) * rng.random()
            assert bucket_grid(since, since + span, points=points).width.total_seconds() == width_s
            assert await _via_rollups(conn, since, since + span, points) == await _raw(
                conn, since, since + span, points
            )
        # The equality above is read from the stored rollups, not from raw samples:
        # a stored bucket changed behind the refresher's back shows in the trend.
        await conn.execute(
            "UPDATE trend_rollups SET max_value = 12345 WHERE level_s = 300 AND bucket = %s",
            (datetime(2026, 3, 2, 8, 0, tzinfo=UTC),),
        )
        hours = await _via_rollups(conn, START, end, 100)
        assert max(hi for *_, hi, _ in hours) == 12345


async def _stored_rows(conn: Connection, level_s: int) -> list[Row]:
    cursor = await conn.execute(
        "SELECT signal, bucket, avg_value, min_value, max_value, samples FROM trend_rollups"
        " WHERE level_s = %s AND machine_id = %s ORDER BY 1, 2",
        (level_s, MACHINE),
    )
    return [(s, t, round(a, 9), lo, hi, n) for s, t, a, lo, hi, n in await cursor.fetchall()]


async def _buckets_before(conn: Connection, level_s: int, mark: datetime) -> list[Row]:
    """Every whole bucket of ``level_s`` that ends by ``mark``, straight from raw samples."""
    width = timedelta(seconds=level_s)
    cursor = await conn.execute(
        "SELECT signal, time_bucket(%s::interval, time) AS b, avg(value), min(value),"
        " max(value), count(*) FROM telemetry WHERE machine_id = %s AND time < %s"
        " GROUP BY 1, 2 ORDER BY 1, 2",
        (width, MACHINE, floor_to(mark, width)),
    )
    return [(s, t, round(a, 9), lo, hi, n) for s, t, a, lo, hi, n in await cursor.fetchall()]


async def test_refreshes_resuming_inside_coarser_buckets_store_each_bucket_whole(
    db_pool: Pool,
) -> None:
    # Samples arrive in uneven chunks, a refresh after each: every refresh but the
    # first resumes from a mark inside a 30 s, 1, 5 and 15 minute bucket.
    async with db_pool.connection() as conn:
        written = 0
        for seconds in (3600, 7 * 60 + 13, 13 * 60 + 41, 2, 41 * 60 + 9):
            await write_and_roll_up(conn, readings(START + timedelta(seconds=written), seconds, 5))
            written += seconds
            mark = await _rolled_up_until(conn)
            assert mark is not None
            assert mark == floor_to(START + timedelta(seconds=written - 1) - SETTLED, FINEST)
            for level_s in LEVELS_S:
                assert await _stored_rows(conn, level_s) == await _buckets_before(
                    conn, level_s, mark
                ), (seconds, level_s)


async def test_late_samples_show_at_once_and_are_rolled_up_on_the_next_refresh(
    db_pool: Pool,
) -> None:
    since, until = START, START + timedelta(hours=HOURS)
    async with db_pool.connection() as conn:
        await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=1))
        late_at = START + timedelta(hours=2, minutes=7, milliseconds=500)
        await write(conn, [Reading(late_at, MACHINE, "vibration", 900.0)])

        before_refresh = await _via_rollups(conn, since, until, 100)
        assert before_refresh == await _raw(conn, since, until, 100)
        assert max(hi for *_, hi, _ in before_refresh) == 900.0

        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        assert await _via_rollups(conn, since, until, 100) == before_refresh
        assert await _rolled_up_until(conn) == MARK


async def test_a_machine_never_rolled_up_is_read_from_raw_samples(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await write(conn, readings(START, 3600, seed=2))
        since, until = START, START + timedelta(hours=1)
        assert await _rolled_up_until(conn) is None
        assert await _via_rollups(conn, since, until, 30) == await _raw(conn, since, until, 30)


async def test_a_long_backlog_is_rolled_up_a_bounded_number_of_days_per_call(
    db_pool: Pool,
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    async with db_pool.connection() as conn:
        # One sample a minute over three days: three steps of a day.
        await write(
            conn,
            [
                Reading(start + timedelta(minutes=m), MACHINE, "speed", m % 7)
                for m in range(3 * 1440)
            ],
        )
        first = await refresh_machine_rollups(
            conn, machine_id=MACHINE, signals=SIGNALS, max_steps=2
        )
        assert (first.steps, first.until) == (2, start + timedelta(days=2))
        second = await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        assert (second.since, second.steps) == (start + timedelta(days=2), 1)
        since, until = start, start + timedelta(days=3)
        assert await _via_rollups(conn, since, until, 500) == await _raw(conn, since, until, 500)


async def test_the_grid_laid_out_in_the_database_holds_every_bucket_in_its_slot(
    db_pool: Pool,
) -> None:
    async with db_pool.connection() as conn:
        # Samples every 7 s with an hour missing: slots without a sample stay empty.
        samples = readings(START, HOURS * 3600, seed=4)
        gap = (START + timedelta(hours=2), START + timedelta(hours=3))
        await write(
            conn,
            [r for r in samples if r.time.second % 7 == 0 and not gap[0] <= r.time < gap[1]],
        )
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        for points in (40, 300, 1000):
            grid = bucket_grid(START, START + timedelta(hours=HOURS), points=points)
            first, count = grid_slots(grid)
            aligned = await aligned_json(
                conn,
                machine_id=MACHINE,
                signals=SIGNALS,
                grid=grid,
                scope=EVERY_CUSTOMER,
                cache=TrendCache.disabled(),
            )
            assert aligned is not None
            buckets = await signal_buckets(
                conn,
                machine_id=MACHINE,
                signals=SIGNALS,
                grid=grid,
                scope=EVERY_CUSTOMER,
                cache=TrendCache.disabled(),
            )
            times = [datetime.fromisoformat(t) for t in json.loads(aligned.times)]
            assert times == [first + i * grid.width for i in range(count)]
            for series, sparse in zip(aligned.series, buckets, strict=True):
                assert series.signal == sparse.signal
                avg, low, high = (json.loads(f) for f in (series.avg, series.min, series.max))
                samples = json.loads(series.samples)
                assert len(avg) == len(samples) == count
                placed = {
                    times[i]: (avg[i], low[i], high[i], n) for i, n in enumerate(samples) if n
                }
                assert placed == {b.time: (b.avg, b.min, b.max, b.samples) for b in sparse.buckets}
                assert None in avg  # the missing hour
