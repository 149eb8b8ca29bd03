"""The pure plant model: repeatable, and each scenario does what the demo promises."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import replace
from datetime import timedelta

import pytest

from models.plant import Plant
from models.states import PackMLState
from simulator.machine_model import STARVED_FAULT_CODE
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET, Changeovers, MicroStops, Scenario, ScrapBurst
from tests.simulator.scenario_factories import (
    SEED,
    START,
    compressed_bearing_wear,
    of,
    run,
    running_samples,
    value_at,
)

CONDITION_SIGNALS = ("vibration_rms", "bearing_temp", "motor_current")


def _mean(readings: list[float]) -> float:
    return statistics.fmean(readings)


def test_same_seed_gives_the_same_plant(plant: Plant) -> None:
    first = run(plant, Scenario(), timedelta(minutes=30))
    again = run(plant, Scenario(), timedelta(minutes=30))
    other_seed = run(plant, Scenario(), timedelta(minutes=30), seed=SEED + 1)
    assert first == again
    assert first != other_seed


def test_events_do_not_depend_on_the_tick_size(plant: Plant) -> None:
    fine = run(plant, Scenario(), timedelta(minutes=30), sample_every=timedelta(seconds=1))
    coarse = run(plant, Scenario(), timedelta(minutes=30), sample_every=timedelta(seconds=37))
    states = {r.signal for r in fine if r.signal in {"state", "fault_code", "product"}}
    assert states == {"state", "fault_code", "product"}
    events_fine = [r for r in fine if r.signal in states]
    events_coarse = [r for r in coarse if r.signal in states]
    assert events_fine == events_coarse
    # Samples taken at the same second agree as well.
    common = {r.time for r in coarse} & {r.time for r in fine}
    samples_fine = {(r.time, r.machine_id, r.signal): r.value for r in fine if r.time in common}
    for r in coarse:
        if r.signal not in states:
            assert samples_fine[(r.time, r.machine_id, r.signal)] == r.value


def test_first_tick_reports_every_machines_state_product_and_counters(plant: Plant) -> None:
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    tick = simulation.advance_to(START)
    machines = {placement.machine.id for placement in plant.placements()}
    assert tick.time == START
    assert {(r.machine_id, r.signal) for r in tick.events} == {
        (m, s) for m in machines for s in ("state", "fault_code", "product")
    }
    assert all(r.time == START for r in tick.readings())
    codes = {p.code for p in plant.products}
    for reading in tick.events:
        if reading.signal == "product":
            assert reading.value in codes
    counters = [r.value for r in tick.samples if r.signal in {"good_count", "reject_count"}]
    assert len(counters) == 2 * len(machines) and all(v > 0 for v in counters)


def test_running_machines_produce_somewhat_below_their_ideal_rate(plant: Plant) -> None:
    readings = run(plant, QUIET, timedelta(minutes=20))
    for placement in plant.placements():
        machine = placement.machine.id
        product = plant.product(int(of(readings, machine, "product")[0].value))
        assert product is not None
        ideal_per_min = 60 / product.ideal_cycle_s
        speed = _mean([r.value for r in of(readings, machine, "speed")])
        assert 0.9 * ideal_per_min < speed < ideal_per_min
        good, rejects = of(readings, machine, "good_count"), of(readings, machine, "reject_count")
        made = (good[-1].value - good[0].value) + (rejects[-1].value - rejects[0].value)
        assert made == pytest.approx(speed * 20, rel=0.02)
        assert 0 < (rejects[-1].value - rejects[0].value) < 0.03 * made


def test_bearing_wear_drifts_the_scenario_machines_signals_only(plant: Plant) -> None:
    scenario = replace(QUIET, bearing_wear=compressed_bearing_wear())
    readings = run(plant, scenario, timedelta(minutes=59))

    def shift(machine: str, signal: str) -> tuple[float, float]:
        """Rise from the first ten minutes to the last ten, and the healthy spread."""
        samples = running_samples(readings, machine, signal)
        before = [r.value for r in samples if r.time < START + timedelta(minutes=10)]
        late = [r.value for r in samples if r.time >= START + timedelta(minutes=49)]
        return _mean(late) - _mean(before), statistics.stdev(before)

    vibration, vibration_noise = shift("l1-filler", "vibration_rms")
    temperature, _ = shift("l1-filler", "bearing_temp")
    current, _current_noise = shift("l1-filler", "motor_current")
    assert vibration > 2.0 and vibration > 10 * vibration_noise
    assert temperature > 4.0
    assert 0.2 < current < vibration
    for machine in ("l1-capper", "l2-filler", "l3-sealer"):
        for signal in CONDITION_SIGNALS:
            rise, noise = shift(machine, signal)
            assert abs(rise) < 1.5 * noise, (machine, signal)


def test_vibration_shows_the_wear_before_temperature_and_current(plant: Plant) -> None:
    scenario = replace(QUIET, bearing_wear=compressed_bearing_wear())
    readings = run(plant, scenario, timedelta(minutes=59))

    def first_clear_rise(signal: str) -> float:
        """Minutes until a one-minute mean stays four healthy spreads above normal."""
        samples = of(readings, "l1-filler", signal)
        healthy = [r.value for r in samples if r.time < START + timedelta(minutes=10)]
        limit = _mean(healthy) + 4 * statistics.stdev(healthy)
        for i in range(len(samples) - 1):
            if _mean([samples[i].value, samples[i + 1].value]) > limit and all(
                s.value > limit - statistics.stdev(healthy) for s in samples[i:]
            ):
                return (samples[i].time - START).total_seconds() / 60
        return float("inf")

    vibration = first_clear_rise("vibration_rms")
    assert 10 < vibration < 40
    assert vibration < first_clear_rise("bearing_temp")
    assert vibration < first_clear_rise("motor_current")


def test_bearing_breaks_down_at_the_scenario_time_and_is_replaced(plant: Plant) -> None:
    wear = compressed_bearing_wear()
    readings = run(
        plant,
        replace(QUIET, bearing_wear=wear),
        timedelta(minutes=75),
        sample_every=timedelta(seconds=1),
    )
    states = of(readings, "l1-filler", "state")
    faults = of(readings, "l1-filler", "fault_code")
    broke = START + wear.breakdown_at
    repaired = broke + wear.breakdown_duration
    assert value_at(states, broke - timedelta(seconds=1)) == PackMLState.EXECUTE
    assert value_at(states, broke) == PackMLState.HELD
    assert value_at(states, broke + wear.held_duration) == PackMLState.ABORTED
    assert value_at(faults, broke) == wear.fault_code == 201
    assert value_at(faults, broke - timedelta(seconds=1)) == 0
    assert value_at(states, repaired) == PackMLState.EXECUTE
    assert value_at(faults, repaired) == 0
    # Downstream stations starve once the two-minute buffer is empty, and run
    # again with the filler; no machine of another line is touched.
    for downstream in ("l1-capper", "l1-labeller"):
        starved = of(readings, downstream, "state")
        codes = of(readings, downstream, "fault_code")
        assert value_at(starved, broke + timedelta(seconds=119)) == PackMLState.EXECUTE
        assert value_at(starved, broke + timedelta(seconds=120)) == PackMLState.SUSPENDED
        assert value_at(codes, broke + timedelta(seconds=120)) == STARVED_FAULT_CODE
        assert value_at(starved, repaired) == PackMLState.EXECUTE
    assert {r.machine_id for r in readings if r.signal == "state" and r.time > START} == {
        "l1-filler",
        "l1-capper",
        "l1-labeller",
    }
    # With a new bearing, the condition signals are back to their healthy levels.
    for signal, tolerance in (
        ("vibration_rms", 0.2),
        ("bearing_temp", 1.0),
        ("motor_current", 0.3),
    ):
        samples = running_samples(readings, "l1-filler", signal)
        healthy = _mean([r.value for r in samples if r.time < START + wear.onset])
        worn = _mean([r.value for r in samples if broke - timedelta(minutes=5) <= r.time < broke])
        after = _mean([r.value for r in samples if r.time > repaired + timedelta(minutes=2)])
        assert worn > healthy + 2 * tolerance, signal
        assert after == pytest.approx(healthy, abs=tolerance), signal


def test_counters_wrap_around_at_32_bits(plant: Plant) -> None:
    top = 2**32
    simulation = PlantSimulation(
        plant,
        seed=SEED,
        start=START,
        scenario=replace(
            QUIET,
            scrap_burst=ScrapBurst(machine_id="l1-filler", at=timedelta(0), reject_rate=0.5),
        ),
        initial_counts={"l1-filler": (top - 40, top - 3)},
    )
    good: list[float] = []
    rejects: list[float] = []
    for second in range(0, 121, 10):
        tick = simulation.advance_to(START + timedelta(seconds=second))
        good += [
            r.value
            for r in tick.samples
            if r.machine_id == "l1-filler" and r.signal == "good_count"
        ]
        rejects += [
            r.value
            for r in tick.samples
            if r.machine_id == "l1-filler" and r.signal == "reject_count"
        ]
    for counter, started in ((good, top - 40), (rejects, top - 3)):
        assert counter[0] == started
        assert all(0 <= value < top for value in counter)
        assert counter[-1] < 200  # wrapped past zero
        steps = [(b - a) % top for a, b in itertools.pairwise(counter)]
        assert all(0 <= step < 30 for step in steps)


def test_planned_breaks_make_the_machines_idle(plant: Plant) -> None:
    # 09:55 in Hamburg: line 1's lunch break is 10:00-10:30 local (09:00-09:30 UTC).
    start = START.replace(hour=8, minute=55)
    scenario = replace(QUIET, planned_breaks=True, idle_outside_shifts=True)
    readings = run(
        plant, scenario, timedelta(minutes=40), start=start, sample_every=timedelta(seconds=60)
    )
    break_start, break_end = start.replace(hour=9, minute=0), start.replace(hour=9, minute=30)
    for machine in ("l1-filler", "l2-labeller"):
        states = of(readings, machine, "state")
        assert [(r.time, r.value) for r in states] == [
            (start, PackMLState.EXECUTE),
            (break_start, PackMLState.IDLE),
            (break_end, PackMLState.EXECUTE),
        ]
        good = {r.time: r.value for r in of(readings, machine, "good_count")}
        assert good[break_start] == good[break_end]
        assert good[break_end + timedelta(minutes=2)] > good[break_end]
    # Bern's lunch is later: line 3 runs through.
    assert [r.value for r in of(readings, "l3-packer", "state")] == [PackMLState.EXECUTE]


def test_machines_are_idle_outside_the_shifts(plant: Plant) -> None:
    # Bern's late shift ends at 22:00 local (21:00 UTC); Hamburg runs a night shift.
    start = START.replace(hour=20, minute=50)
    scenario = replace(QUIET, idle_outside_shifts=True)
    readings = run(
        plant, scenario, timedelta(minutes=20), start=start, sample_every=timedelta(seconds=60)
    )
    assert value_at(of(readings, "l3-erector", "state"), start) == PackMLState.EXECUTE
    assert value_at(of(readings, "l3-erector", "state"), start.replace(hour=21)) == PackMLState.IDLE
    assert [r.value for r in of(readings, "l1-capper", "state")] == [PackMLState.EXECUTE]


def test_a_changeover_stops_resets_starts_and_switches_product(plant: Plant) -> None:
    changeovers = Changeovers(
        first_after=timedelta(minutes=10),
        every=timedelta(hours=3),
        jitter=timedelta(0),
        shortest=timedelta(minutes=15),
        longest=timedelta(minutes=15),
    )
    readings = run(
        plant,
        replace(QUIET, changeovers=changeovers),
        timedelta(minutes=40),
        sample_every=timedelta(seconds=60),
    )
    began = START + timedelta(minutes=10)
    for machine in ("l1-filler", "l1-capper", "l1-labeller"):
        states = [(r.time, r.value) for r in of(readings, machine, "state")]
        assert [value for _, value in states] == [
            PackMLState.EXECUTE,
            PackMLState.STOPPED,
            PackMLState.RESETTING,
            PackMLState.STARTING,
            PackMLState.EXECUTE,
        ]
        assert states[1][0] == began
        assert states[4][0] == began + timedelta(minutes=15)
        products = of(readings, machine, "product")
        assert len(products) == 2 and products[0].value != products[1].value
        # The new product is loaded when the machine resets.
        assert products[1].time == states[2][0]
        speeds = [
            r.value for r in of(readings, machine, "speed") if states[1][0] <= r.time < states[4][0]
        ]
        assert speeds and all(speed == 0 for speed in speeds)


def test_micro_stops_suspend_machines_for_ten_to_ninety_seconds(plant: Plant) -> None:
    readings = run(
        plant,
        replace(QUIET, micro_stops=MicroStops()),
        timedelta(hours=2),
        sample_every=timedelta(seconds=300),
    )
    for placement in plant.placements():
        machine = placement.machine.id
        states = of(readings, machine, "state")
        faults = of(readings, machine, "fault_code")
        stops = [(a, b) for a, b in itertools.pairwise(states) if a.value == PackMLState.SUSPENDED]
        assert len(stops) >= 2, machine
        for began, ended in stops:
            assert 10 <= (ended.time - began.time).total_seconds() <= 90
            assert ended.value == PackMLState.EXECUTE
            assert 100 < value_at(faults, began.time) < 200
            assert value_at(faults, ended.time) == 0


def test_a_scrap_burst_raises_rejects_on_its_machine_only(plant: Plant) -> None:
    burst = ScrapBurst(
        machine_id="l3-packer", at=timedelta(minutes=10), duration=timedelta(minutes=10)
    )
    readings = run(
        plant,
        replace(QUIET, scrap_burst=burst),
        timedelta(minutes=30),
        sample_every=timedelta(seconds=600),
    )

    def reject_share(machine: str, window: int) -> float:
        good, rejects = of(readings, machine, "good_count"), of(readings, machine, "reject_count")
        made_good = good[window + 1].value - good[window].value
        made_bad = rejects[window + 1].value - rejects[window].value
        return made_bad / (made_good + made_bad)

    assert reject_share("l3-packer", 0) < 0.03
    assert reject_share("l3-packer", 1) > 0.2
    assert reject_share("l3-packer", 2) < 0.03
    assert reject_share("l3-sealer", 1) < 0.03


def test_healthy_machines_stay_within_their_normal_noise(plant: Plant) -> None:
    """A demo morning: only the worn machine may look unusual to an anomaly detector."""
    # 08:30 in Hamburg: both sites' lunch breaks and the first changeovers fall inside.
    start = START.replace(hour=7, minute=30)
    trained_until = start + timedelta(hours=1)
    scenario = Scenario()
    readings = run(plant, scenario, timedelta(hours=4, minutes=30), start=start)
    healthy = {p.machine.id for p in plant.placements()} - scenario.scenario_machines()
    assert len(healthy) == 7
    for machine in healthy:
        seen_states = {r.value for r in of(readings, machine, "state")}
        assert {PackMLState.IDLE, PackMLState.STOPPED, PackMLState.SUSPENDED} <= seen_states
        for signal in CONDITION_SIGNALS:
            samples = running_samples(readings, machine, signal)
            trained = [r.value for r in samples if r.time < trained_until]
            mean, spread = _mean(trained), statistics.stdev(trained)
            later = [r.value for r in samples if r.time >= trained_until]
            outliers = [v for v in later if abs(v - mean) > 4.5 * spread]
            assert len(outliers) <= 2, (machine, signal, outliers)
            assert abs(_mean(later) - mean) < 0.5 * spread, (machine, signal)
    # The default wear started at one hour: by the fourth, vibration is far off.
    filler = running_samples(readings, "l1-filler", "vibration_rms")
    base = [r.value for r in filler if r.time < start + timedelta(hours=1)]
    worn = [r.value for r in filler if r.time >= start + timedelta(hours=3, minutes=30)]
    assert _mean(worn) > _mean(base) + 8 * statistics.stdev(base)


def test_scenarios_must_name_machines_of_the_plant(plant: Plant) -> None:
    scenario = replace(QUIET, bearing_wear=compressed_bearing_wear(machine_id="no-such-machine"))
    with pytest.raises(ValueError, match="no-such-machine"):
        PlantSimulation(plant, seed=SEED, start=START, scenario=scenario)


def test_the_model_cannot_go_back_in_time(plant: Plant) -> None:
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    simulation.advance_to(START + timedelta(minutes=1))
    with pytest.raises(ValueError, match="back in time"):
        simulation.advance_to(START)
