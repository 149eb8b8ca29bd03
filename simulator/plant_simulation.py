"""The whole plant file as simulated machines, advanced tick by tick into readings.

``PlantSimulation`` is the pure model behind the OPC UA server and the MQTT
publisher; tests and analytics use it (or ``generate_readings``) directly to get
plant data without any server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.plant import Plant
from models.readings import Reading
from simulator.changeover_plan import ChangeoverPlan
from simulator.machine_model import MachineModel
from simulator.planned_production import PlannedProduction
from simulator.scenarios import Scenario

DISCRETE_SIGNALS = frozenset({"state", "fault_code", "product"})


@dataclass(frozen=True, slots=True)
class SimulationTick:
    """What the plant did since the previous tick.

    ``events`` are state, fault code and product changes, each at the simulated
    second it happened, in time order; ``samples`` are counters, speed and
    condition signals of every machine at the tick's ``time``.
    """

    time: datetime
    events: tuple[Reading, ...]
    samples: tuple[Reading, ...]

    def readings(self) -> tuple[Reading, ...]:
        """Events and samples together, in time order."""
        return self.events + self.samples


def simulation_start(start: datetime) -> datetime:
    """``start`` in UTC, cut to the whole second: the model's resolution."""
    if start.tzinfo is None:
        raise ValueError("the simulation start must be timezone-aware")
    return start.astimezone(UTC).replace(microsecond=0)


# Long enough for a bearing to reach its temperature (its cooling time is half an
# hour) and short enough to warm up a plant in well under a second.
_WARM_UP_S = 2 * 3600


def _machines(
    plant: Plant,
    seed: int,
    story_start: datetime,
    scenario: Scenario,
    initial_counts: dict[str, tuple[int, int]] | None,
    first_tick_s: int,
) -> Iterator[MachineModel]:
    """The plant's machines, entering the story in time to warm up for the first tick."""
    codes = tuple(product.code for product in plant.products)
    wear = scenario.bearing_wear
    first_second = max(0, first_tick_s - _WARM_UP_S)
    for _customer, site, line in plant.lines():
        line_ids = [machine.id for machine in line.machines]
        worn_at = line_ids.index(wear.machine_id) if wear and wear.machine_id in line_ids else None
        for position, machine in enumerate(line.machines):
            downstream = worn_at is not None and position > worn_at
            yield MachineModel(
                machine_id=machine.id,
                start=story_start,
                products=plant.products,
                changeovers=ChangeoverPlan(
                    scenario.changeovers, codes, f"{seed}/{line.id}/changeovers"
                ),
                planned=PlannedProduction(
                    site.calendar,
                    site.timezone,
                    story_start,
                    planned_breaks=scenario.planned_breaks,
                    idle_outside_shifts=scenario.idle_outside_shifts,
                ),
                scenario=scenario,
                seed_key=f"{seed}/{machine.id}",
                initial_counts=(initial_counts or {}).get(machine.id),
                upstream_wear=wear if downstream else None,
                first_second=first_second,
            )


class PlantSimulation:
    """Every machine of the plant file, driven by one seed and one scenario.

    Each machine draws from its own generator keyed by seed and machine id, so
    adding a machine to the plant file does not change the others.
    """

    def __init__(
        self,
        plant: Plant,
        *,
        seed: int,
        start: datetime,
        scenario: Scenario,
        initial_counts: dict[str, tuple[int, int]] | None = None,
        story_start: datetime | None = None,
    ) -> None:
        """Simulate from ``start``, the time of the first tick.

        ``initial_counts`` overrides the seeded (good, reject) counter start per
        machine. ``story_start`` resumes an earlier run of the plant: the scenario
        and the changeovers count from it rather than from ``start``, and the
        machines are warmed up unobserved to ``start``, with the bearings as warm
        and as worn as if the plant had run all along.
        """
        self.start = simulation_start(start)
        self.story_start = simulation_start(story_start) if story_start is not None else self.start
        if self.story_start > self.start:
            raise ValueError("the story of a resumed plant cannot start after the run")
        machine_ids = {placement.machine.id for placement in plant.placements()}
        unknown = (scenario.scenario_machines() | set(initial_counts or {})) - machine_ids
        if unknown:
            raise ValueError(f"the scenario names machines not in the plant: {sorted(unknown)}")
        self._now_s = int((self.start - self.story_start).total_seconds())
        self._machines = list(
            _machines(plant, seed, self.story_start, scenario, initial_counts, self._now_s)
        )
        for machine in self._machines:
            machine.warm_up_to(self._now_s)
        self._signals = {
            placement.machine.id: frozenset(signal.name for signal in placement.machine.signals)
            for placement in plant.placements()
        }

    @property
    def machines(self) -> tuple[MachineModel, ...]:
        return tuple(self._machines)

    @property
    def now(self) -> datetime:
        """Simulated time of the last tick (the start before the first)."""
        return self.story_start + timedelta(seconds=self._now_s)

    def advance_to(self, until: datetime) -> SimulationTick:
        """Simulate every machine up to ``until`` (cut to the second) and report the tick.

        The first call may be at the start itself: its events are every
        machine's initial state, fault code and product.
        """
        t = int((until - self.story_start).total_seconds())
        if t < self._now_s:
            raise ValueError(f"cannot go back in time to {until.isoformat()}")
        self._now_s = t
        events: list[Reading] = []
        samples: list[Reading] = []
        for machine in self._machines:
            machine.advance_to(t)
            wanted = self._signals[machine.machine_id]
            events += (e for e in machine.take_events() if e.signal in wanted)
            samples += (s for s in machine.samples() if s.signal in wanted)
        events.sort(key=lambda reading: reading.time)
        return SimulationTick(
            self.story_start + timedelta(seconds=t), tuple(events), tuple(samples)
        )


def simulate_ticks(
    plant: Plant,
    *,
    seed: int,
    start: datetime,
    scenario: Scenario,
    duration: timedelta,
    sample_every: timedelta = timedelta(seconds=30),
) -> Iterator[SimulationTick]:
    """Ticks from ``start`` to ``start + duration`` every ``sample_every``, without servers.

    The same seed and scenario give the same events whatever ``sample_every`` is;
    only the moments the samples are taken differ.
    """
    step_s = int(sample_every.total_seconds())
    if step_s < 1:
        raise ValueError("sample_every must be at least one second")
    simulation = PlantSimulation(plant, seed=seed, start=start, scenario=scenario)
    end_s = int(duration.total_seconds())
    for t in range(0, end_s + 1, step_s):
        yield simulation.advance_to(simulation.start + timedelta(seconds=t))


def generate_readings(
    plant: Plant,
    *,
    seed: int,
    start: datetime,
    scenario: Scenario,
    duration: timedelta,
    sample_every: timedelta = timedelta(seconds=30),
) -> Iterator[Reading]:
    """The readings of ``simulate_ticks`` one by one, in time order: data for analytics."""
    for tick in simulate_ticks(
        plant,
        seed=seed,
        start=start,
        scenario=scenario,
        duration=duration,
        sample_every=sample_every,
    ):
        yield from tick.readings()
