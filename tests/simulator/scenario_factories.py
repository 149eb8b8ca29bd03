"""Compressed scenarios, a fixed start and small helpers, so simulator tests run in a blink."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from models.plant import Plant
from models.readings import Reading
from models.states import PackMLState
from simulator.plant_simulation import simulate_ticks
from simulator.scenarios import BearingWear, Scenario

# A Saturday; both sites work every day. 06:00 in Hamburg, the early shift's start.
START = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
SEED = 7


def compressed_bearing_wear(
    *,
    machine_id: str = "l1-filler",
    onset: timedelta = timedelta(minutes=10),
    breakdown_at: timedelta = timedelta(minutes=60),
) -> BearingWear:
    """Wear visible after minutes instead of hours, with a five-minute breakdown."""
    return BearingWear(
        machine_id=machine_id,
        onset=onset,
        breakdown_at=breakdown_at,
        breakdown_duration=timedelta(minutes=5),
        held_duration=timedelta(minutes=1),
    )


def run(
    plant: Plant,
    scenario: Scenario,
    duration: timedelta,
    *,
    seed: int = SEED,
    start: datetime = START,
    sample_every: timedelta = timedelta(seconds=30),
) -> list[Reading]:
    """Every reading of a simulation run, in time order."""
    return [
        reading
        for tick in simulate_ticks(
            plant,
            seed=seed,
            start=start,
            scenario=scenario,
            duration=duration,
            sample_every=sample_every,
        )
        for reading in tick.readings()
    ]


def of(readings: list[Reading], machine_id: str, signal: str) -> list[Reading]:
    """One signal of one machine."""
    return [r for r in readings if r.machine_id == machine_id and r.signal == signal]


def value_at(events: list[Reading], at: datetime) -> float:
    """The value of a changes-only signal at ``at``: its last change at or before then."""
    earlier = [event for event in events if event.time <= at]
    if not earlier:
        raise ValueError(f"no value yet at {at.isoformat()}")
    return earlier[-1].value


def running_samples(readings: list[Reading], machine_id: str, signal: str) -> list[Reading]:
    """Samples of ``signal`` taken while the machine was in EXECUTE."""
    states = of(readings, machine_id, "state")
    times = [state.time for state in states]
    return [
        sample
        for sample in of(readings, machine_id, signal)
        if states[bisect_right(times, sample.time) - 1].value == PackMLState.EXECUTE
    ]
