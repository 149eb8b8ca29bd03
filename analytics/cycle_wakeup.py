"""When the analyze loop starts its next cycle: as soon as new telemetry completes an
observation, and at the latest after its interval.

A warning can only become a ticket when a new observation is scored, and an
observation is scored once the plant clock (the newest telemetry) has passed its
end by the scorer's ``settle``. Sleeping a fixed interval after each cycle added
up to that interval to every warning's way to its ticket; polling the plant clock
instead costs one index probe per poll, and a cycle runs right after the sample
that completes an observation lands.

A plant clock running far ahead of the wall clock (the demo's simulator at 60x)
completes observations faster than cycles run; the loop then rests half as long
as its last cycle took (at most ``MAX_REST_S``) before it looks, so that it does
not take a whole core, nor hold a warning back by more than that.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from analytics.observation_windows import window_floor
from storage import plant_clock
from storage.connections import Pool

# Every observation width of 10 s and more (10, 15, 20, 30 s, a minute, ...) ends
# on this grid, so waking on it never misses a machine's completed observation.
COMPLETION_GRID = timedelta(seconds=5)
MAX_REST_S = 0.5


def next_completion(
    now: datetime, *, settle: timedelta, grid: timedelta = COMPLETION_GRID
) -> datetime:
    """The plant time at which the next observation after those complete at ``now``
    completes: the next grid instant after ``now - settle``, plus ``settle``."""
    return window_floor(now - settle, grid) + grid + settle


async def wait_for_next_cycle(
    pool: Pool,
    *,
    cycle_began: datetime | None,
    settle: timedelta,
    interval_s: float,
    cycle_took_s: float = 0.0,
    poll_s: float = 0.1,
) -> None:
    """Return once the plant clock passes the next completion after ``cycle_began``
    (the plant time the last cycle started at), or after ``interval_s``; but not
    before half of ``cycle_took_s`` (the last cycle's wall time, up to
    ``MAX_REST_S``) has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + interval_s
    await asyncio.sleep(min(cycle_took_s / 2, MAX_REST_S, interval_s))
    due = next_completion(cycle_began, settle=settle) if cycle_began is not None else None
    while (left := deadline - loop.time()) > 0:
        await asyncio.sleep(min(poll_s, left))
        if due is None:
            continue
        async with pool.connection() as conn:
            newest = await plant_clock.latest_telemetry_time(conn)
        if newest is not None and newest >= due:
            return
