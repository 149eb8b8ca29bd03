"""Writes PLC events collected over OPC UA, retrying until the database takes them.

Events are rare next to telemetry, so they are buffered here rather than in the
telemetry sink. A failed write keeps its events and retries with backoff; while
too many wait, the subscription waits too (see ``wait_for_room``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import psycopg

from models.plc_events import PlcEvent
from storage.connections import Pool
from storage.plc_event_store import write_plc_events

log = logging.getLogger(__name__)


class PlcEventWriter:
    def __init__(
        self,
        pool: Pool,
        *,
        flush_interval_s: float = 0.5,
        max_retry_delay_s: float = 30.0,
        max_buffered: int = 10_000,
    ) -> None:
        self._pool = pool
        self._flush_interval_s = flush_interval_s
        self._max_retry_delay_s = max_retry_delay_s
        self._max_buffered = max_buffered
        self._events: list[PlcEvent] = []
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.written = 0

    def put(self, events: Sequence[PlcEvent]) -> None:
        self._events.extend(events)
        self._wakeup.set()
        if len(self._events) >= self._max_buffered:
            self._room.clear()

    async def wait_for_room(self) -> None:
        """Until the buffer is below its bound again."""
        await self._room.wait()

    async def run(self) -> None:
        """Flush forever; on cancellation, try once more to store what is buffered."""
        try:
            while True:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._flush_interval_s)
                except TimeoutError:
                    pass
                self._wakeup.clear()
                await self.flush()
        finally:
            if self._events:
                await asyncio.shield(self._last_write())

    async def _last_write(self) -> None:
        try:
            await self._write_once()
        except psycopg.Error as error:
            log.error("%d PLC events not stored at shutdown: %s", len(self._events), error)

    async def flush(self) -> None:
        """Store everything buffered, retrying with backoff until it is stored."""
        delay = 0.5
        while self._events:
            try:
                await self._write_once()
            except psycopg.Error as error:
                log.warning("PLC event write failed, retrying in %.1f s: %s", delay, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay_s)

    async def _write_once(self) -> None:
        batch = list(self._events)
        async with self._pool.connection() as conn:
            await write_plc_events(conn, events=batch)
        del self._events[: len(batch)]
        self.written += len(batch)
        if len(self._events) < self._max_buffered:
            self._room.set()
