"""One simulated machine: PackML state, fault code, product, counters and condition.

The model is pure and seeded: it does no I/O, reads no clock and draws every
random number from its own generator, one second of simulated time at a time.
The same seed therefore gives the same seconds however the caller slices time
into ticks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.plant import Product
from models.readings import Reading
from models.states import PackMLState
from simulator.changeover_plan import ChangeoverPlan
from simulator.condition_signals import ConditionSignals, HealthyLevels
from simulator.micro_stop_schedule import MicroStopSchedule
from simulator.planned_production import PlannedProduction
from simulator.scenarios import BearingWear, Scenario, whole_seconds

COUNTER_MODULUS = 2**32
_DISCRETE_SIGNALS = ("state", "fault_code", "product")
# Machines run somewhat below their ideal rate; each machine has its own pace.
_EFFICIENCY_RANGE = (0.92, 0.97)
_SPEED_NOISE = 0.01
# A station downstream of a broken-down machine runs empty once the buffer
# between them is used up, and reports itself starved.
STARVED_FAULT_CODE = 301
_BUFFER_S = 120
# A machine that restarts after these states produces start-up rejects for a while.
_RESTARTS_FROM = frozenset({PackMLState.STARTING, PackMLState.HELD, PackMLState.ABORTED})


@dataclass(frozen=True, slots=True)
class _Window:
    """A span of simulated seconds, start inclusive, end exclusive."""

    start: int
    end: int

    def __contains__(self, t: int) -> bool:
        return self.start <= t < self.end


_NEVER = _Window(0, 0)


@dataclass(frozen=True, slots=True)
class _Breakdown:
    """The worn bearing's breakdown: HELD at first, then ABORTED for the repair."""

    window: _Window
    held_until: int
    fault_code: int

    @classmethod
    def of(cls, wear: BearingWear | None) -> _Breakdown:
        if wear is None:
            return cls(window=_NEVER, held_until=0, fault_code=0)
        began = whole_seconds(wear.breakdown_at)
        return cls(
            window=_Window(began, began + whole_seconds(wear.breakdown_duration)),
            held_until=began + whole_seconds(wear.held_duration),
            fault_code=wear.fault_code,
        )

    def state_at(self, t: int) -> PackMLState | None:
        if t not in self.window:
            return None
        return PackMLState.HELD if t < self.held_until else PackMLState.ABORTED


@dataclass(frozen=True, slots=True)
class _RejectRates:
    """Which share of parts a machine rejects at a given second."""

    normal: float
    startup: float
    startup_s: int
    scrap: _Window
    scrap_rate: float

    @classmethod
    def of(cls, machine_id: str, scenario: Scenario) -> _RejectRates:
        rates, burst = scenario.rejects, scenario.scrap_burst
        scrap, scrap_rate = _NEVER, 0.0
        if burst is not None and burst.machine_id == machine_id:
            scrap = _Window(whole_seconds(burst.at), whole_seconds(burst.at + burst.duration))
            scrap_rate = burst.reject_rate
        return cls(
            normal=rates.reject_rate,
            startup=rates.startup_reject_rate,
            startup_s=whole_seconds(rates.startup_duration),
            scrap=scrap,
            scrap_rate=scrap_rate,
        )

    def at(self, t: int, startup_until: int) -> float:
        if t in self.scrap:
            return self.scrap_rate
        return self.startup if t < startup_until else self.normal


def _starvation(upstream_wear: BearingWear | None) -> _Window:
    """When a station starves because the worn machine upstream of it is down."""
    if upstream_wear is None:
        return _NEVER
    upstream = _Breakdown.of(upstream_wear).window
    return _Window(min(upstream.start + _BUFFER_S, upstream.end), upstream.end)


class MachineModel:
    """A machine stepped through simulated seconds since ``start``.

    ``advance_to`` moves it forward; ``take_events`` returns the state, fault
    code and product changes (each at its own second) since the last call, and
    ``samples`` the counters, speed and condition signals at the current second.
    """

    def __init__(
        self,
        *,
        machine_id: str,
        start: datetime,
        products: tuple[Product, ...],
        changeovers: ChangeoverPlan,
        planned: PlannedProduction,
        scenario: Scenario,
        seed_key: str,
        initial_counts: tuple[int, int] | None = None,
        upstream_wear: BearingWear | None = None,
        first_second: int = 0,
    ) -> None:
        """``initial_counts`` (good, reject) replaces the seeded, non-zero counter start.

        ``upstream_wear`` is the bearing wear of a machine before this one in its
        line: while that machine is broken down, this one starves (SUSPENDED).
        ``first_second`` is where the machine enters the timeline; ``warm_up_to``
        then runs it on unobserved.
        """
        self.machine_id = machine_id
        self._start = start
        self._cycle_s = {product.code: product.ideal_cycle_s for product in products}
        self._changeovers = changeovers
        self._planned = planned
        self._rng = rng = random.Random(seed_key)
        self._efficiency = rng.uniform(*_EFFICIENCY_RANGE)
        # Drawn even when replaced: a machine resumed with its stored counters must
        # draw the same healthy levels below, or it is another machine to analytics.
        seeded_counts = (rng.randrange(1_000, COUNTER_MODULUS), rng.randrange(1, 1_000_000))
        self._counts_at_start = initial_counts if initial_counts is not None else seeded_counts
        self.good_count, self.reject_count = (n % COUNTER_MODULUS for n in self._counts_at_start)
        wear = scenario.bearing_wear
        wear = wear if wear is not None and wear.machine_id == machine_id else None
        self.condition = ConditionSignals(HealthyLevels.drawn(rng), wear, rng)
        self._breakdown = _Breakdown.of(wear)
        self._starved = _starvation(upstream_wear)
        self._rejects = _RejectRates.of(machine_id, scenario)
        self._startup_until = 0
        self._micro_stops = MicroStopSchedule(scenario.micro_stops, rng)

        self.now_s = first_second
        self.state = PackMLState.UNDEFINED
        self.fault_code = 0
        self.product = 0
        self.speed = 0.0
        self._part_credit = 0.0
        self._events: list[Reading] = []
        self._enter_second(first_second, first=True)

    def warm_up_to(self, t: int) -> None:
        """Run unobserved up to second ``t``, so the machine is there as if it had never stopped.

        Its bearing is as warm and as worn as at ``t``, its line in the same
        changeover; the counters keep their values from the start, as a PLC's
        do while nobody reads them. The next events restate the machine at ``t``.
        """
        self.advance_to(t)
        self.good_count, self.reject_count = (n % COUNTER_MODULUS for n in self._counts_at_start)
        self._events = []
        self._record_changes(t, (self.state, self.fault_code, self.product), first=True)

    def advance_to(self, t: int) -> None:
        """Simulate up to and including second ``t`` after the start."""
        while self.now_s < t:
            self._produce_one_second()
            self.now_s += 1
            self._enter_second(self.now_s)

    def take_events(self) -> list[Reading]:
        """State, fault code and product changes since the last call, in time order."""
        events, self._events = self._events, []
        return events

    def samples(self) -> list[Reading]:
        """Counters, speed and condition signals at the current second."""
        at = self._start + timedelta(seconds=self.now_s)
        condition = self.condition
        values = (
            ("good_count", float(self.good_count)),
            ("reject_count", float(self.reject_count)),
            ("speed", self.speed),
            ("vibration_rms", condition.vibration_rms),
            ("bearing_temp", condition.bearing_temp),
            ("motor_current", condition.motor_current),
        )
        return [Reading(at, self.machine_id, signal, value) for signal, value in values]

    def _nominal_speed(self) -> float:
        """Parts per minute when running the current product at this machine's pace."""
        return 60.0 / self._cycle_s[self.product] * self._efficiency

    def _load(self) -> float:
        return self.speed / self._nominal_speed() if self.speed else 0.0

    def _enter_second(self, t: int, *, first: bool = False) -> None:
        decided = self._decide(t)
        if first or decided != (self.state, self.fault_code, self.product):
            self._record_changes(t, decided, first=first)
        self.speed = 0.0
        if decided[0] is PackMLState.EXECUTE:
            self.speed = self._nominal_speed() * (1.0 + self._rng.gauss(0.0, _SPEED_NOISE))
        self.condition.step(t, self._load())

    def _record_changes(
        self, t: int, decided: tuple[PackMLState, int, int], *, first: bool
    ) -> None:
        state, fault_code, product = decided
        if state is PackMLState.EXECUTE and self.state in _RESTARTS_FROM:
            self._startup_until = t + self._rejects.startup_s
        at = self._start + timedelta(seconds=t)
        previous = (self.state, self.fault_code, self.product)
        for signal, before, now in zip(_DISCRETE_SIGNALS, previous, decided, strict=True):
            if first or now != before:
                self._events.append(Reading(at, self.machine_id, signal, float(now)))
        self.state, self.fault_code, self.product = state, fault_code, product

    def _decide(self, t: int) -> tuple[PackMLState, int, int]:
        """State, fault code and product at second ``t``; earlier checks take precedence."""
        phase, product = self._changeovers.at(t)
        planned = self._planned.is_planned(t)
        broken = self._breakdown.state_at(t)
        if t == self._breakdown.held_until and broken is PackMLState.ABORTED:
            self.condition.replace_bearing()
        if broken is not None:
            decided = broken, self._breakdown.fault_code
        elif not planned:
            decided = PackMLState.IDLE, 0
        elif phase is not None:
            decided = phase, 0
        elif t in self._starved:
            decided = PackMLState.SUSPENDED, STARVED_FAULT_CODE
        else:
            stop_code = self._micro_stops.code_at(t)
            if stop_code:
                return PackMLState.SUSPENDED, stop_code, product
            return PackMLState.EXECUTE, 0, product
        self._micro_stops.skip_if_due(t)
        return *decided, product

    def _produce_one_second(self) -> None:
        if self.state is not PackMLState.EXECUTE:
            return
        self._part_credit += self.speed / 60.0
        parts = int(self._part_credit)
        if not parts:
            return
        self._part_credit -= parts
        rate = self._rejects.at(self.now_s, self._startup_until)
        random_draw = self._rng.random
        rejects = sum(1 for _ in range(parts) if random_draw() < rate)
        self.good_count = (self.good_count + parts - rejects) % COUNTER_MODULUS
        self.reject_count = (self.reject_count + rejects) % COUNTER_MODULUS
