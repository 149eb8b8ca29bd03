"""Backpressure between an OPC UA subscription and the telemetry sink.

A batch handed to the sink counts as in flight until the sink reports it durable
(in TimescaleDB or the local spool). Above ``max_in_flight`` the publish handler
waits, so asyncua sends no new Publish request: a slow database slows the
subscription down instead of growing memory. Meanwhile the server keeps queueing
(``queue_size`` values per node, oldest discarded first, flagged by the server as
an overflow) and keeps the subscription alive for its lifetime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from collector.telemetry_sink import TelemetrySink
from models.readings import Reading


class InFlightLimit:
    """Hands readings to the sink and waits while too many are not yet durable."""

    def __init__(self, sink: TelemetrySink, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._sink = sink
        self._max = max_in_flight
        self._in_flight = 0
        self._room = asyncio.Event()
        self._room.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> bool:
        """Whether a delivery is held back right now."""
        return not self._room.is_set()

    async def deliver(self, readings: Sequence[Reading]) -> None:
        """Queue ``readings`` for writing; returns once the backlog is within bounds."""
        count = len(readings)
        self._in_flight += count
        self._sink.put(readings, lambda: self._release(count))
        if self._in_flight > self._max:
            self._room.clear()
            await self._room.wait()

    def _release(self, count: int) -> None:
        self._in_flight -= count
        if self._in_flight <= self._max:
            self._room.set()
