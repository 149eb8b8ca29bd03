"""Accelerated time: wall-clock ticks mapped onto simulated time.

At ``speed`` 60 one wall minute is one simulated hour. Ticks keep to a fixed
wall grid; when the process falls behind, the next tick simply covers more
simulated time instead of piling up late ticks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SimulationClock:
    """Maps a monotonic wall clock reading to simulated time.

    ``start`` is the simulated time at wall reading ``wall_origin``; ``wall``
    reads the wall clock in seconds (``time.monotonic`` unless a test swaps it).
    """

    start: datetime
    speed: float
    wall_origin: float
    wall: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("the simulation start must be timezone-aware")
        if self.speed <= 0:
            raise ValueError("the simulation speed must be positive")

    @classmethod
    def starting_now(
        cls, start: datetime, speed: float, wall: Callable[[], float] = time.monotonic
    ) -> SimulationClock:
        return cls(start=start, speed=speed, wall_origin=wall(), wall=wall)

    def simulated_at(self, wall_reading: float) -> datetime:
        elapsed = max(0.0, wall_reading - self.wall_origin) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def now(self) -> datetime:
        return self.simulated_at(self.wall())

    async def ticks(
        self, tick_s: float, stop: asyncio.Event | None = None
    ) -> AsyncIterator[datetime]:
        """Simulated time of each wall tick, cut to the second, until ``stop`` is set.

        A tick that would fall on the same simulated second as the previous one
        (very low speeds) is skipped.
        """
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        previous: datetime | None = None
        n = 0
        while stop is None or not stop.is_set():
            n += 1
            due = self.wall_origin + n * tick_s
            if await _sleep_unless_stopped(due - self.wall(), stop):
                return
            # After a stall, skip the missed grid points rather than replaying them.
            n = max(n, int((self.wall() - self.wall_origin) / tick_s))
            at = self.now().replace(microsecond=0)
            if previous is None or at > previous:
                previous = at
                yield at


async def _sleep_unless_stopped(delay: float, stop: asyncio.Event | None) -> bool:
    """Sleep for ``delay`` seconds; True when ``stop`` was set meanwhile."""
    if stop is None:
        await asyncio.sleep(max(0.0, delay))
        return False
    try:
        async with asyncio.timeout(max(0.0, delay)):
            await stop.wait()
    except TimeoutError:
        return False
    return True
