"""The simulator's stories as labelled histories: a wearing bearing and healthy machines.

The plant is simulated offline (no servers) and each machine's condition
signals become observations of its running time, one per sample, labelled with
the regime it ran in, as the live reader would deliver them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.condition_observations import ObservationBatch
from analytics.operating_regime import regime_key
from models.plant import Plant, SignalKind
from models.readings import Reading
from models.states import TimeCategory
from simulator.plant_simulation import generate_readings
from simulator.scenarios import BearingWear, Scenario

START = datetime(2026, 1, 5, 6, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SimulatedHistory:
    machine_id: str
    batch: ObservationBatch
    # The wear's onset and breakdown for the worn machine; None for healthy ones.
    wear: BearingWear | None


def _running_states(plant: Plant) -> frozenset[int]:
    return frozenset(s for s, c in plant.state_categories.items() if c is TimeCategory.RUNNING)


def simulated_histories(
    plant: Plant,
    *,
    scenario: Scenario,
    duration: timedelta,
    seed: int,
    sample_every: timedelta,
) -> list[SimulatedHistory]:
    """Every machine's running observations over ``duration`` of simulated plant."""
    readings = generate_readings(
        plant,
        seed=seed,
        start=START,
        scenario=scenario,
        duration=duration,
        sample_every=sample_every,
    )
    by_machine: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_machine[reading.machine_id].append(reading)
    running = _running_states(plant)
    histories: list[SimulatedHistory] = []
    for placement in plant.placements():
        machine = placement.machine
        signals = machine.signals_of(SignalKind.CONDITION)
        batch = _observations(by_machine[machine.id], signals, running, plant)
        wear = scenario.bearing_wear
        worn = wear if wear is not None and wear.machine_id == machine.id else None
        histories.append(SimulatedHistory(machine.id, batch, worn))
    return histories


def _observations(
    readings: list[Reading], signals: tuple[str, ...], running: frozenset[int], plant: Plant
) -> ObservationBatch:
    state = product = None
    speed: float | None = None
    rows: dict[datetime, dict[str, float]] = defaultdict(dict)
    regimes: dict[datetime, str] = {}
    for reading in readings:
        if reading.signal == "state":
            state = int(reading.value)
        elif reading.signal == "product":
            product = int(reading.value)
        elif reading.signal == "speed":
            speed = reading.value
        elif reading.signal in signals and state in running:
            rows[reading.time][reading.signal] = reading.value
            regimes[reading.time] = regime_key(product, speed, plant.products)
    times = sorted(rows)
    values = np.array([[rows[t].get(s, np.nan) for s in signals] for t in times], dtype=float)
    return ObservationBatch(
        signals,
        tuple(times),
        values.reshape(len(times), len(signals)),
        tuple(regimes[t] for t in times),
    )
