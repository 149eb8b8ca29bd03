"""One database connection of the telemetry sink's own, for writing batches.

Owning its connections rather than borrowing the pool's lets the sink see at
once that TimescaleDB is back, instead of waiting out the pool's reconnection
backoff, and keeps exactly one batch in flight per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg

from models.readings import DeadLetter, Reading
from storage.connections import Connection, Pool
from storage.telemetry_writer import write_batch


class WriterConnection:
    """A connection opened on first use and again after it broke."""

    def __init__(self, conninfo: str, kwargs: dict[str, Any], timeout_s: float) -> None:
        self._conninfo = conninfo
        self._kwargs = kwargs
        self._timeout_s = timeout_s
        self._conn: Connection | None = None

    async def write(self, readings: Sequence[Reading], letters: Sequence[DeadLetter]) -> int:
        """Store one batch; returns the readings that were new (replays are skipped)."""
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._conn is None:
                    self._conn = await psycopg.AsyncConnection.connect(
                        self._conninfo, **self._kwargs
                    )
                return await write_batch(self._conn, readings, letters)
        except BaseException:
            # Broken, timed out or cancelled mid-COPY: its state is unknown.
            await self.close()
            raise

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()


def connection_settings(pool: Pool) -> tuple[str, dict[str, Any]]:
    """The pool's conninfo and connection options, for opening connections like its own."""
    if not isinstance(pool.conninfo, str) or callable(pool.kwargs):
        raise TypeError("the sink opens its own connections: give the pool a conninfo string")
    return pool.conninfo, dict(pool.kwargs or {})
