"""Trends read through the cache of whole buckets equal trends read without it, while
data arrives, late data lands in rolled-up history, and rollups are rewritten or dropped."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.readings import Reading, Trend
from storage import telemetry_queries, trend_reader
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.trend_cache import TrendCache
from storage.trend_queries import bucket_grid
from storage.trend_reader import AlignedJson, aligned_json
from storage.trend_rollups import drop_old_rollups, refresh_machine_rollups
from tests.storage.trend_factories import (
    MACHINE,
    SIGNALS,
    START,
    readings,
    write,
    write_and_roll_up,
)

pytestmark = pytest.mark.integration

HOURS = 4


async def _read(
    conn: Connection, cache: TrendCache, since: datetime, until: datetime, points: int
) -> AlignedJson:
    aligned = await aligned_json(
        conn,
        machine_id=MACHINE,
        signals=SIGNALS,
        grid=bucket_grid(since, until, points=points),
        scope=EVERY_CUSTOMER,
        cache=cache,
    )
    assert aligned is not None
    return aligned


Figures = tuple[str, list[list[float | None]], list[int]]


def _figures(aligned: AlignedJson) -> list[Figures]:
    """Each signal's average, minimum and maximum, and its sample counts."""
    return [
        (s.signal, [json.loads(s.avg), json.loads(s.min), json.loads(s.max)], json.loads(s.samples))
        for s in aligned.series
    ]


def _highest(aligned: AlignedJson, series: int) -> float:
    highs: list[float | None] = json.loads(aligned.series[series].max)
    return max(v for v in highs if v is not None)


def _equal(cached: AlignedJson, uncached: AlignedJson) -> bool:
    """The same grid, buckets and figures; averages may differ in the last bit, as the
    database may sum a partial bucket's pieces in another order under another plan."""
    if cached.times != uncached.times:
        return False
    for (signal, mine, samples), (other_signal, theirs, other_samples) in zip(
        _figures(cached), _figures(uncached), strict=True
    ):
        if signal != other_signal or samples != other_samples:
            return False
        for one, other in zip(mine, theirs, strict=True):
            if [v is None for v in one] != [v is None for v in other]:
                return False
            if [v for v in one if v is not None] != pytest.approx(
                [v for v in other if v is not None], rel=1e-12
            ):
                return False
    return True


async def _same_with_and_without(
    conn: Connection, cache: TrendCache, rng: random.Random, end: datetime, reads: int
) -> None:
    """Random charts ending near ``end`` (a live view, zoomed and moved), each read through
    the cache and again reading every bucket from the database."""
    for _ in range(reads):
        span = timedelta(seconds=rng.uniform(600, HOURS * 3600))
        until = end - timedelta(seconds=rng.uniform(0, 1800))
        points = rng.choice((40, 100, 300))
        cached = await _read(conn, cache, until - span, until, points)
        assert _equal(cached, await _read(conn, TrendCache.disabled(), until - span, until, points))


async def test_cached_reads_equal_uncached_ones_as_history_changes(db_pool: Pool) -> None:
    rng = random.Random(5)
    cache = TrendCache(max_buckets=100_000)
    end = START + timedelta(hours=HOURS)
    async with db_pool.connection() as conn:
        await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=1))
        await _same_with_and_without(conn, cache, rng, end, reads=30)
        assert cache.run(MACHINE, timedelta(minutes=1), "speed") is not None

        # Live data, then the refresher rolling it up: the kept buckets still hold.
        await write(conn, readings(end, 1800, seed=2))
        await _same_with_and_without(conn, cache, rng, end + timedelta(minutes=30), reads=10)
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        await _same_with_and_without(conn, cache, rng, end + timedelta(minutes=30), reads=10)
        assert cache.run(MACHINE, timedelta(minutes=1), "speed") is not None

        # A late spike inside kept buckets shows at once, before and after the refresh.
        late_at = START + timedelta(hours=2, minutes=7, milliseconds=500)
        late = Reading(late_at, MACHINE, "vibration", 900.0)
        await write(conn, [late])
        spiked = await _read(conn, cache, START, end, 100)
        assert _highest(spiked, 1) == 900.0
        await _same_with_and_without(conn, cache, rng, end, reads=10)
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        assert _equal(await _read(conn, cache, START, end, 100), spiked)
        await _same_with_and_without(conn, cache, rng, end, reads=10)


async def test_rollups_rewritten_or_dropped_under_kept_buckets_are_read_again(
    db_pool: Pool,
) -> None:
    cache = TrendCache(max_buckets=100_000)
    end = START + timedelta(hours=HOURS)
    async with db_pool.connection() as conn:
        await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=3))
        before = await _read(conn, cache, START, end, 100)
        assert _equal(await _read(conn, cache, START, end, 100), before)

        # Rewritten as the refresher does it: the rows and a new revision together.
        await conn.execute(
            "UPDATE trend_rollups SET max_value = 12345 WHERE level_s = 300 AND bucket = %s",
            (datetime(2026, 3, 2, 8, 0, tzinfo=UTC),),
        )
        await conn.execute(
            "UPDATE trend_rollup_state SET revision = nextval('trend_rollup_revisions')"
        )
        await conn.commit()
        rewritten = await _read(conn, cache, START, end, 100)
        assert _highest(rewritten, 0) == 12345.0 and _highest(before, 0) < 12345.0

        # Retention drops every rollup chunk of this history (it is months old).
        assert await drop_old_rollups(conn, older_than=timedelta(days=1)) > 0
        assert _equal(
            await _read(conn, cache, START, end, 100),
            await _read(conn, TrendCache.disabled(), START, end, 100),
        )
        assert _highest(await _read(conn, cache, START, end, 100), 0) < 12345.0


async def test_late_data_claimed_before_any_read_is_read_again(db_pool: Pool) -> None:
    """The refresher's claim of late data bumps the revision: a cache that never saw the
    rollups end earlier still drops what the late sample changed."""
    cache = TrendCache(max_buckets=100_000)
    end = START + timedelta(hours=HOURS)
    async with db_pool.connection() as conn:
        await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=6))
        assert _highest(await _read(conn, cache, START, end, 100), 1) < 900.0
        late = Reading(START + timedelta(hours=1, milliseconds=250), MACHINE, "vibration", 900.0)
        await write(conn, [late])
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        assert _highest(await _read(conn, cache, START, end, 100), 1) == 900.0


async def test_outages_leave_empty_buckets_in_kept_runs_and_at_the_edges(db_pool: Pool) -> None:
    rng = random.Random(8)
    cache = TrendCache(max_buckets=100_000)
    end = START + timedelta(hours=HOURS)
    outages = [(timedelta(minutes=m), timedelta(minutes=m + d)) for m, d in ((30, 47), (150, 3))]
    async with db_pool.connection() as conn:
        await write(
            conn,
            [
                r
                for r in readings(START, HOURS * 3600, seed=7)
                if not any(START + a <= r.time < START + b for a, b in outages)
            ],
        )
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        await _same_with_and_without(conn, cache, rng, end, reads=30)
        gap = await _read(conn, cache, START, end, 300)
        assert None in json.loads(gap.series[0].avg)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each trend statement run from now on, as the rollup state it checked."""
    ran: list[object] = []
    run = trend_reader._run

    async def counted(*args: Any, **kwargs: Any) -> Any:
        ran.append(kwargs.get("checked"))
        return await run(*args, **kwargs)

    monkeypatch.setattr(trend_reader, "_run", counted)
    return ran


async def test_a_machine_never_rolled_up_is_read_in_one_planned_statement(
    db_pool: Pool, statements: list[object]
) -> None:
    cache = TrendCache(max_buckets=100_000)
    async with db_pool.connection() as conn:
        await write(conn, readings(START, 600, seed=9))
        first = await _read(conn, cache, START, START + timedelta(minutes=10), 100)
        assert len(statements) == 2  # the state learned, then the read
        assert _equal(
            first,
            await _read(conn, TrendCache.disabled(), START, START + timedelta(minutes=10), 100),
        )
        statements.clear()
        await _read(conn, cache, START, START + timedelta(minutes=10), 100)
        assert len(statements) == 1


async def test_the_one_signal_trend_shares_the_kept_state_and_buckets(
    db_pool: Pool, statements: list[object]
) -> None:
    cache = TrendCache(max_buckets=100_000)
    since, until = START, START + timedelta(hours=HOURS)

    async def one_signal(kept: TrendCache) -> Trend:
        return await telemetry_queries.trend(
            conn, machine_id=MACHINE, signal=SIGNALS[0], since=since, until=until,
            scope=EVERY_CUSTOMER, cache=kept,
        )  # fmt: skip

    async with db_pool.connection() as conn:
        await write_and_roll_up(conn, readings(START, HOURS * 3600, seed=11))
        first = await one_signal(cache)
        assert first.bucket is not None  # read from the rollups
        assert len(statements) == 2  # the state learned, then the read
        statements.clear()
        again = await one_signal(cache)
        assert len(statements) == 1
        assert again == first == await one_signal(TrendCache.disabled())
        assert cache.held_buckets > 0
