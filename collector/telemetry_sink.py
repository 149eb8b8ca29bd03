"""Buffers readings from all transports and makes them durable in batches.

Transports call ``put`` and ``put_dead_letter`` from the event loop. ``run``
drives a few writer tasks, each with a connection of its own, so one batch is
parsed while another is COPYed into TimescaleDB.

Durable means stored in TimescaleDB or, while TimescaleDB is unreachable,
fsync'd into the local disk spool. Only then does a put's ``on_durable`` run, and
always in the order of the puts: an MQTT message is acknowledged, an OPC UA batch
released, no earlier. Once anything is spooled, later batches go to the spool
too until it has drained oldest first, so samples reach the database in order.
When the spool is full, batches wait in memory and their sources stay
unacknowledged (backpressure); nothing is dropped.

Without a spool, a failed write keeps its batch in memory and retries with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from prometheus_client import Histogram

from collector.disk_spool import DiskSpool, SpoolFull
from collector.durable_order import DurableCallback, DurableOrder, SinkBatch
from collector.source_liveness import SourceLiveness
from collector.writer_connection import WriterConnection, connection_settings
from models.readings import DeadLetter, Reading
from storage.connections import Pool

log = logging.getLogger(__name__)

# TimescaleDB did not take the batch: away (refused, reset, timed out) or refusing
# for a while (failover to a read-only standby, permissions). Either way the batch
# is not durable there, so it is kept; it must never take the collector down.
_UNREACHABLE = (psycopg.Error, TimeoutError)
# The batch cannot be made durable right now, in the database or in the spool.
_NOT_DURABLE = (*_UNREACHABLE, SpoolFull, OSError)
# A refused connection costs next to nothing: ask often, to drain soon after a return.
_MAX_DRAIN_RETRY_DELAY_S = 5.0
_WRITE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(slots=True)
class SinkCounters:
    """Running totals since start; the metrics endpoint reads them."""

    received: int = 0
    written: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    failed_writes: int = 0
    spooled: int = 0
    drained: int = 0


class TelemetrySink:
    def __init__(
        self,
        pool: Pool,
        *,
        batch_size: int = 5000,
        flush_interval_s: float = 0.5,
        max_retry_delay_s: float = 30.0,
        spool: DiskSpool | None = None,
        liveness: SourceLiveness | None = None,
        writers: int = 2,
        write_timeout_s: float = 30.0,
    ) -> None:
        """Writers open connections like the pool's (same conninfo), ``writers`` of them."""
        self._conninfo, self._connect_kwargs = connection_settings(pool)
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._max_retry_delay_s = max_retry_delay_s
        self._spool = spool
        self._liveness = liveness
        self._writers = writers
        self._write_timeout_s = write_timeout_s
        self._readings: list[Reading] = []
        self._letters: list[DeadLetter] = []
        self._order = DurableOrder()
        self._wakeup = asyncio.Event()
        self._drain_wanted = asyncio.Event()
        self.counters = SinkCounters()
        self.write_seconds = Histogram(
            "linecare_collector_write_seconds",
            "Time to store one batch in TimescaleDB",
            registry=None,
            buckets=_WRITE_BUCKETS,
        )
        # True while the spool is full and batches wait in memory, unacknowledged.
        self.backpressure = False

    @property
    def spool(self) -> DiskSpool | None:
        return self._spool

    @property
    def pending(self) -> int:
        """Readings and dead letters accepted but not durable yet."""
        return self._order.pending

    def put(self, readings: Sequence[Reading], on_durable: DurableCallback | None = None) -> None:
        """Queue readings for writing; must be called from the sink's event loop.

        ``on_durable`` runs once every one of these readings is in TimescaleDB or
        in the spool: transports acknowledge their source only then.
        """
        self._readings.extend(readings)
        self.counters.received += len(readings)
        if self._liveness is not None:
            self._liveness.observe(readings)
        self._order.queue(len(readings), 0, on_durable)
        if len(self._readings) >= self._batch_size:
            self._wakeup.set()

    def put_dead_letter(
        self, letter: DeadLetter, on_durable: DurableCallback | None = None
    ) -> None:
        """Queue input that could not be parsed; ``on_durable`` as for ``put``."""
        log.warning(
            "dead letter from %s %s: %s",
            letter.source,
            letter.origin,
            letter.reason,
            extra={"source": letter.source, "origin": letter.origin},
        )
        self._letters.append(letter)
        self._order.queue(0, 1, on_durable)
        self._wakeup.set()

    async def run(self) -> None:
        """Write, and drain the spool, until cancelled; then store what is left once more."""
        writer = self._new_writer()
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self._writers):
                    group.create_task(self._write_forever())
                if self._spool is not None:
                    group.create_task(self._drain_forever())
        finally:
            await asyncio.shield(self._store_remaining(writer))

    async def flush(self) -> None:
        """Store everything buffered now, retrying until it is durable."""
        writer = self._new_writer()
        try:
            while self._readings or self._letters:
                batch = self._take_batch()
                await self._store(writer, batch)
                self._order.complete(batch)
        finally:
            await writer.close()

    def _new_writer(self) -> WriterConnection:
        return WriterConnection(self._conninfo, self._connect_kwargs, self._write_timeout_s)

    async def _write_forever(self) -> None:
        writer = self._new_writer()
        try:
            while True:
                batch = await self._next_batch()
                await self._store(writer, batch)
                self._order.complete(batch)
        finally:
            await writer.close()

    async def _next_batch(self) -> SinkBatch:
        while len(self._readings) < self._batch_size and not self._letters:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), self._flush_interval_s)
            except TimeoutError:
                if self._readings:
                    break
        return self._take_batch()

    def _take_batch(self) -> SinkBatch:
        readings = self._readings[: self._batch_size]
        del self._readings[: len(readings)]
        letters, self._letters = self._letters, []
        return self._order.take(readings, letters)

    async def _store(self, writer: WriterConnection, batch: SinkBatch) -> None:
        """Make the batch durable, waiting out database outages and a full spool."""
        delay = 0.5
        while True:
            try:
                await self._store_once(writer, batch)
            except _NOT_DURABLE as error:
                self._note_not_durable(error, delay)
            else:
                if self.backpressure:
                    self.backpressure = False
                    log.info("batches are durable again; sources are acknowledged again")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry_delay_s)

    async def _store_once(self, writer: WriterConnection, batch: SinkBatch) -> None:
        if self._spool is None:
            await self._write(writer, batch.readings, batch.letters)
            return
        if self._spool.is_empty:
            try:
                await self._write(writer, batch.readings, batch.letters)
                return
            except _UNREACHABLE as error:
                self.counters.failed_writes += 1
                log.warning("TimescaleDB unreachable, spooling to disk: %s", error)
        await asyncio.to_thread(self._spool.append, batch.readings, batch.letters)
        self.counters.spooled += len(batch.readings)
        self._drain_wanted.set()

    def _note_not_durable(self, error: Exception, delay: float) -> None:
        if self._spool is None:
            self.counters.failed_writes += 1
            log.warning("telemetry write failed, retrying in %.1f s: %s", delay, error)
        elif not self.backpressure:
            self.backpressure = True
            log.error(
                "the spool takes no more (%s): batches wait in memory and their sources"
                " stay unacknowledged until TimescaleDB is back",
                error,
                extra={"spool_dir": str(self._spool.directory)},
            )

    async def _write(
        self, writer: WriterConnection, readings: Sequence[Reading], letters: Sequence[DeadLetter]
    ) -> None:
        started = time.perf_counter()
        new = await writer.write(readings, letters)
        self.write_seconds.observe(time.perf_counter() - started)
        self.counters.written += new
        self.counters.duplicates += len(readings) - new
        self.counters.dead_lettered += len(letters)

    async def _drain_forever(self) -> None:
        """Move spooled batches into TimescaleDB, oldest first, once it answers again."""
        spool = self._spool
        assert spool is not None
        writer = self._new_writer()
        delay = 0.5
        try:
            while True:
                if spool.is_empty:
                    self._drain_wanted.clear()
                    await self._drain_wanted.wait()
                spooled = await asyncio.to_thread(spool.oldest)
                if spooled is None:
                    continue
                try:
                    await self._write(writer, spooled.readings, spooled.letters)
                except _UNREACHABLE as error:
                    self.counters.failed_writes += 1
                    self._log_waiting(spool, delay, error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._max_retry_delay_s, _MAX_DRAIN_RETRY_DELAY_S)
                    continue
                await asyncio.to_thread(spool.confirm, spooled)
                self.counters.drained += len(spooled.readings)
                delay = 0.5
                if spool.is_empty:
                    log.info("spool drained; writing to TimescaleDB directly again")
        finally:
            await writer.close()

    def _log_waiting(self, spool: DiskSpool, delay: float, error: Exception) -> None:
        stats = spool.stats()
        log.warning(
            "TimescaleDB unreachable; %d batches wait in the spool, retrying in %.1f s: %s",
            stats.records,
            delay,
            error,
            extra={"spool_bytes": stats.size_bytes, "spool_batches": stats.records},
        )

    async def _store_remaining(self, writer: WriterConnection) -> None:
        """On the way out: one attempt each for batches cut short and what is buffered."""
        batches = [batch for batch in self._order.in_flight if not batch.done]
        while self._readings or self._letters:
            batches.append(self._take_batch())
        try:
            for batch in batches:
                try:
                    await self._store_once(writer, batch)
                except _NOT_DURABLE as error:
                    log.error(
                        "stopping with %d samples not stored; their sources were not"
                        " acknowledged and send them again: %s",
                        len(batch.readings),
                        error,
                    )
                    continue
                self._order.complete(batch)
        finally:
            await writer.close()
