"""The sink while TimescaleDB is down: spooled and acknowledged, drained in order, never lost.

These tests stop and start a cluster of their own (the session's is shared).
The outage is a few seconds here; tests/collector/test_faults.py holds a longer
one end to end. The code path is the same whatever the length.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from bench.throwaway_services import throwaway_cluster
from collector.disk_spool import DiskSpool
from collector.telemetry_sink import TelemetrySink
from models.readings import Reading
from services import postgres_cluster
from services.postgres_cluster import ClusterSpec, dsn
from storage.connections import Pool
from storage.database import ensure_database
from storage.schema_migrations import migrate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
_names = itertools.count()


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[ClusterSpec]:
    with throwaway_cluster() as spec:
        yield spec


@pytest.fixture
async def own_pool(own_cluster: ClusterSpec) -> AsyncIterator[Pool]:
    postgres_cluster.start(own_cluster)  # a failed test may have left it stopped
    database = dsn(own_cluster, f"outage_{next(_names)}")
    await ensure_database(database)
    async with await psycopg.AsyncConnection.connect(database) as conn:
        await migrate(conn)
    # Checked on every borrow: the test reads through it after the server restarted.
    pool: Pool = AsyncConnectionPool(
        database, min_size=1, open=False, check=AsyncConnectionPool.check_connection
    )
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


def _seq(first: int, count: int) -> list[Reading]:
    return [
        Reading(T0 + timedelta(milliseconds=seq), "l3-packer", "good_count", float(seq))
        for seq in range(first, first + count)
    ]


async def _stored_values(pool: Pool) -> list[float]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT value FROM telemetry ORDER BY value")
        return [row[0] for row in await cursor.fetchall()]


async def _until(condition: object, timeout_s: float = 30.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_an_outage_is_spooled_acknowledged_and_drained_in_order(
    own_pool: Pool, own_cluster: ClusterSpec, tmp_path: Path
) -> None:
    spool = DiskSpool(tmp_path / "spool", max_bytes=10_000_000)
    sink = TelemetrySink(
        own_pool, batch_size=100, flush_interval_s=0.05, spool=spool, max_retry_delay_s=0.5
    )
    acknowledged: list[int] = []
    running = asyncio.create_task(sink.run())
    puts = itertools.count()

    async def produce(seconds: float) -> None:
        for _ in range(int(seconds / 0.02)):
            put = next(puts)
            sink.put(_seq(put * 10, 10), partial(acknowledged.append, put))
            await asyncio.sleep(0.02)

    try:
        await produce(1.0)
        await asyncio.to_thread(postgres_cluster.stop, own_cluster)
        acknowledged_before = len(acknowledged)
        await produce(4.0)
        # Acknowledged all the same: those batches are fsync'd in the spool.
        assert len(acknowledged) > acknowledged_before + 100
        assert sink.counters.spooled > 0
        assert not spool.is_empty

        await asyncio.to_thread(postgres_cluster.start, own_cluster)
        await produce(1.0)
        await _until(lambda: sink.pending == 0 and spool.is_empty)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    total = next(puts)
    assert acknowledged == list(range(total))
    assert await _stored_values(own_pool) == [float(seq) for seq in range(total * 10)]
    assert sink.counters.drained == sink.counters.spooled
    assert list((tmp_path / "spool").glob("*.seg")) == []


async def test_a_full_spool_holds_acknowledgements_back_and_drops_nothing(
    own_pool: Pool, own_cluster: ClusterSpec, tmp_path: Path
) -> None:
    spool = DiskSpool(tmp_path / "spool", max_bytes=6_000)
    sink = TelemetrySink(
        own_pool, batch_size=50, flush_interval_s=0.02, spool=spool, max_retry_delay_s=0.2
    )
    acknowledged: list[int] = []
    await asyncio.to_thread(postgres_cluster.stop, own_cluster)
    running = asyncio.create_task(sink.run())
    try:
        for put in range(40):
            sink.put(_seq(put * 50, 50), partial(acknowledged.append, put))
        await _until(lambda: sink.backpressure, timeout_s=10)
        held = len(acknowledged)
        await asyncio.sleep(1.0)
        # Nothing more is acknowledged while the spool is full...
        assert len(acknowledged) == held < 40
        assert sink.pending > 0

        await asyncio.to_thread(postgres_cluster.start, own_cluster)
        # ...and everything is, once TimescaleDB is back.
        await _until(lambda: len(acknowledged) == 40 and spool.is_empty)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert acknowledged == list(range(40))
    assert not sink.backpressure
    assert await _stored_values(own_pool) == [float(seq) for seq in range(2000)]


async def test_a_spool_left_by_a_crashed_collector_is_drained_at_start(
    own_pool: Pool, tmp_path: Path
) -> None:
    left_behind = DiskSpool(tmp_path / "spool", max_bytes=1_000_000)
    for first in range(0, 300, 100):
        left_behind.append(_seq(first, 100))
    left_behind.close()  # as the crash of its process would

    spool = DiskSpool(tmp_path / "spool", max_bytes=1_000_000)
    sink = TelemetrySink(own_pool, spool=spool)
    running = asyncio.create_task(sink.run())
    try:
        await _until(lambda: spool.is_empty)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert await _stored_values(own_pool) == [float(seq) for seq in range(300)]
