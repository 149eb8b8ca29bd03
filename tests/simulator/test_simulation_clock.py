"""Accelerated time: wall seconds to simulated seconds, and ticks on a wall grid."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from simulator.simulation_clock import SimulationClock

START = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


def test_speed_sixty_makes_a_wall_minute_a_simulated_hour() -> None:
    clock = SimulationClock(start=START, speed=60, wall_origin=1000.0)
    assert clock.simulated_at(1000.0) == START
    assert clock.simulated_at(1060.0) == START + timedelta(hours=1)
    assert clock.simulated_at(1000.5) == START + timedelta(seconds=30)
    # Before the origin the clock does not run backwards.
    assert clock.simulated_at(900.0) == START


def test_the_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulationClock(start=datetime(2026, 11, 21), speed=60, wall_origin=0.0)


async def test_ticks_advance_by_tick_times_speed_until_stopped() -> None:
    stop = asyncio.Event()
    clock = SimulationClock.starting_now(START, speed=600)
    ticks: list[datetime] = []
    async for at in clock.ticks(0.02, stop):
        ticks.append(at)
        if len(ticks) == 5:
            stop.set()
    assert len(ticks) == 5
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(ticks)]
    assert all(gap >= 1 for gap in gaps)
    # Twelve simulated seconds per tick; a busy test machine may stretch a tick.
    assert 10 <= sum(gaps) / len(gaps) <= 40
    assert all(at.microsecond == 0 for at in ticks)


async def test_a_set_stop_event_ends_the_ticks_while_waiting() -> None:
    stop = asyncio.Event()
    clock = SimulationClock.starting_now(START, speed=60)
    asyncio.get_running_loop().call_later(0.05, stop.set)
    ticks = [at async for at in clock.ticks(10.0, stop)]
    assert ticks == []
