"""A restarted simulator continues the plant: the same story, the same warm machines.

`linecare demo` resumes the plant after a restart from the counters and the time
the database holds; these tests restart the model the same way and compare it
with a plant that never stopped.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.plant import Plant
from models.readings import Reading
from models.states import PackMLState
from simulator.machine_model import MachineModel
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET, Scenario
from tests.simulator.scenario_factories import SEED, START, of, running_samples

CONDITION_SIGNALS = ("vibration_rms", "bearing_temp", "motor_current")
# Two hours into the default story's bearing wear, three before its breakdown.
RESUMED_AT = START + timedelta(hours=3)
WINDOW = timedelta(minutes=30)


def _readings(simulation: PlantSimulation, since: datetime, until: datetime) -> list[Reading]:
    """Every reading from ``since`` to ``until``, sampled every 30 s."""
    readings: list[Reading] = []
    at = since
    while at <= until:
        readings += simulation.advance_to(at).readings()
        at += timedelta(seconds=30)
    return readings


def _counters(readings: list[Reading], at: datetime) -> dict[str, tuple[int, int]]:
    """The (good, reject) counters of every machine at ``at``, as the database keeps them."""
    values = {(r.machine_id, r.signal): int(r.value) for r in readings if r.time == at}
    machines = {machine for machine, _ in values}
    return {m: (values[(m, "good_count")], values[(m, "reject_count")]) for m in machines}


def _window(readings: list[Reading], machine: str, signal: str) -> list[float]:
    """The machine's running samples of ``signal`` in the half hour after the restart."""
    return [
        r.value
        for r in running_samples(readings, machine, signal)
        if RESUMED_AT <= r.time <= RESUMED_AT + WINDOW
    ]


def _machine(simulation: PlantSimulation, machine_id: str) -> MachineModel:
    return next(m for m in simulation.machines if m.machine_id == machine_id)


def test_a_resumed_plant_continues_without_a_jump(plant: Plant) -> None:
    scenario = Scenario()
    never_stopped = PlantSimulation(plant, seed=SEED, start=START, scenario=scenario)
    stored = list(never_stopped.advance_to(RESUMED_AT).readings())
    products = {m.machine_id: float(m.product) for m in never_stopped.machines}
    went_on = stored + _readings(
        never_stopped, RESUMED_AT + timedelta(seconds=30), RESUMED_AT + WINDOW
    )
    counters = _counters(stored, RESUMED_AT)
    resumed = PlantSimulation(
        plant,
        seed=SEED,
        start=RESUMED_AT,
        scenario=scenario,
        initial_counts=counters,
        story_start=START,
    )
    restarted = _readings(resumed, RESUMED_AT, RESUMED_AT + WINDOW)

    # The counters go on from the stored values; each line runs the product it ran.
    assert _counters(restarted, RESUMED_AT) == counters
    assert {
        r.machine_id: r.value for r in restarted if r.signal == "product" and r.time == RESUMED_AT
    } == products
    # Every machine reads as it would have, warm, and the worn bearing is as worn
    # as it would have been: nothing new for an anomaly detector to see.
    for placement in plant.placements():
        machine = placement.machine.id
        for signal in CONDITION_SIGNALS:
            expected = _window(went_on, machine, signal)
            assert statistics.fmean(_window(restarted, machine, signal)) == pytest.approx(
                statistics.fmean(expected), abs=statistics.stdev(expected)
            ), (machine, signal)
    healthy = _machine(resumed, "l1-filler").condition.levels.vibration_mm_s
    assert statistics.fmean(_window(restarted, "l1-filler", "vibration_rms")) > healthy + 0.5


def test_a_plant_resumed_at_night_has_cooled_down(plant: Plant) -> None:
    # Line 3 alone, in Bern: its late shift ends at 22:00 local, 21:00 UTC.
    bern = plant.model_copy(update={"customers": plant.customers[1:]})
    scenario = replace(QUIET, idle_outside_shifts=True)
    story_start, resumed_at = START.replace(hour=18), START.replace(hour=23, minute=30)
    never_stopped = PlantSimulation(bern, seed=SEED, start=story_start, scenario=scenario)
    never_stopped.advance_to(resumed_at)
    resumed = PlantSimulation(
        bern, seed=SEED, start=resumed_at, scenario=scenario, story_start=story_start
    )
    until = resumed_at + timedelta(minutes=10)
    went_on, restarted = (
        _readings(simulation, resumed_at, until) for simulation in (never_stopped, resumed)
    )

    for placement in bern.placements():
        machine = placement.machine.id
        assert {r.value for r in of(restarted, machine, "state")} == {PackMLState.IDLE}
        cooled, resumed_temp = (
            statistics.fmean(r.value for r in of(readings, machine, "bearing_temp"))
            for readings in (went_on, restarted)
        )
        assert resumed_temp == pytest.approx(cooled, abs=0.3), machine


def test_stored_counters_do_not_make_another_machine(plant: Plant) -> None:
    counted = PlantSimulation(
        plant, seed=SEED, start=START, scenario=Scenario(), initial_counts={"l2-capper": (5, 1)}
    )
    seeded = PlantSimulation(plant, seed=SEED, start=START, scenario=Scenario())
    at = START + timedelta(minutes=10)
    counted_samples, seeded_samples = (
        [(r.machine_id, r.signal, r.value) for r in sim.advance_to(at).samples]
        for sim in (counted, seeded)
    )
    assert [s for s in counted_samples if s[1] in CONDITION_SIGNALS] == [
        s for s in seeded_samples if s[1] in CONDITION_SIGNALS
    ]


def test_a_plant_resumed_after_the_breakdown_has_its_new_bearing(plant: Plant) -> None:
    scenario = Scenario()
    wear = scenario.bearing_wear
    assert wear is not None
    resumed_at = START + wear.breakdown_at + wear.breakdown_duration + timedelta(hours=1)
    resumed = PlantSimulation(
        plant, seed=SEED, start=resumed_at, scenario=scenario, story_start=START
    )
    readings = _readings(resumed, resumed_at, resumed_at + timedelta(hours=2))

    states = {r.value for r in of(readings, "l1-filler", "state")}
    assert PackMLState.EXECUTE in states
    assert not states & {PackMLState.HELD, PackMLState.ABORTED}
    vibration = [r.value for r in running_samples(readings, "l1-filler", "vibration_rms")]
    healthy = _machine(resumed, "l1-filler").condition.levels.vibration_mm_s
    assert statistics.fmean(vibration) == pytest.approx(healthy, rel=0.05)


def test_a_resumed_story_cannot_start_after_the_run(plant: Plant) -> None:
    with pytest.raises(ValueError, match="story"):
        PlantSimulation(plant, seed=SEED, start=START, scenario=Scenario(), story_start=RESUMED_AT)
