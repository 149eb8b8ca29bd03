"""The telemetry sink on a real TimescaleDB: durable callbacks, replays, raw counters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from collector.telemetry_sink import TelemetrySink
from models.readings import DeadLetter, Reading
from storage.connections import Pool

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _seq(first: int, count: int, machine: str = "l3-packer") -> list[Reading]:
    return [
        Reading(T0 + timedelta(milliseconds=seq), machine, "good_count", float(seq))
        for seq in range(first, first + count)
    ]


async def _stored(pool: Pool, query: str) -> list[tuple[object, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode())
        return list(await cursor.fetchall())


async def test_callbacks_run_in_put_order_with_several_writers(db_pool: Pool) -> None:
    sink = TelemetrySink(db_pool, batch_size=7, flush_interval_s=0.01, writers=3)
    acknowledged: list[int] = []
    running = asyncio.create_task(sink.run())
    try:
        for put in range(40):
            sink.put(_seq(put * 5, 5), partial(acknowledged.append, put))
            if put % 10 == 0:
                await asyncio.sleep(0)
        for _ in range(200):
            if len(acknowledged) == 40:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert acknowledged == list(range(40))
    rows = await _stored(db_pool, "SELECT count(*), count(DISTINCT value) FROM telemetry")
    assert rows == [(200, 200)]


async def test_a_replayed_batch_is_absorbed_sample_by_sample(db_pool: Pool) -> None:
    sink = TelemetrySink(db_pool, batch_size=1000)
    sink.put(_seq(0, 50))
    await sink.flush()
    # Half of this batch is stored already (a broker redelivery after a crash).
    sink.put(_seq(25, 50))
    await sink.flush()

    assert (sink.counters.written, sink.counters.duplicates) == (75, 25)
    rows = await _stored(db_pool, "SELECT count(*), min(value), max(value) FROM telemetry")
    assert rows == [(75, 0.0, 74.0)]


async def test_a_sample_twice_in_one_batch_is_stored_once(db_pool: Pool) -> None:
    sink = TelemetrySink(db_pool)
    sink.put(_seq(0, 10))
    sink.put(_seq(5, 10))  # redelivered while the first copy still waits in the buffer
    await sink.flush()

    assert (sink.counters.written, sink.counters.duplicates) == (15, 5)
    rows = await _stored(db_pool, "SELECT count(*), count(DISTINCT value) FROM telemetry")
    assert rows == [(15, 15)]


async def test_dead_letters_are_acknowledged_once_stored(db_pool: Pool) -> None:
    sink = TelemetrySink(db_pool)
    acknowledged: list[str] = []
    letter = DeadLetter(T0, "mqtt", "linecare/x/y/z", b"{broken", "malformed JSON")
    sink.put_dead_letter(letter, lambda: acknowledged.append("letter"))
    sink.put(_seq(0, 3), lambda: acknowledged.append("readings"))
    assert acknowledged == []
    await sink.flush()

    assert acknowledged == ["letter", "readings"]
    assert await _stored(db_pool, "SELECT origin, reason FROM dead_letters") == [
        ("linecare/x/y/z", "malformed JSON")
    ]


async def test_an_empty_put_is_acknowledged_at_once_when_nothing_is_pending(
    db_pool: Pool,
) -> None:
    sink = TelemetrySink(db_pool)
    acknowledged: list[str] = []
    sink.put([], lambda: acknowledged.append("empty"))
    assert acknowledged == ["empty"]


async def test_counters_that_roll_over_or_reset_are_stored_raw(db_pool: Pool) -> None:
    # A 16-bit counter wrapping, a 32-bit counter wrapping, a reset to zero.
    sixteen = [65_533.0, 65_534.0, 65_535.0, 0.0, 1.0]
    thirty_two = [4_294_967_294.0, 4_294_967_295.0, 0.0, 3.0]
    reset = [120.0, 121.0, 0.0, 1.0]
    sink = TelemetrySink(db_pool)
    for signal, values in (("good_count", sixteen), ("reject_count", thirty_two), ("speed", reset)):
        sink.put(
            [
                Reading(T0 + timedelta(seconds=i), "l1-filler", signal, v)
                for i, v in enumerate(values)
            ]
        )
    await sink.flush()

    rows = await _stored(
        db_pool, "SELECT signal, array_agg(value ORDER BY time) FROM telemetry GROUP BY signal"
    )
    assert {row[0]: row[1] for row in rows} == {
        "good_count": sixteen,
        "reject_count": thirty_two,
        "speed": reset,
    }
