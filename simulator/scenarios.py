"""What happens to the simulated plant, as a timeline relative to the simulation start.

The defaults tell the demo story at 60x (one simulated hour per wall minute): a
filler bearing starts to wear after an hour and breaks down after six, a packer
produces a burst of scrap, every machine has small stops, every line changes
product every few hours and the site's shift calendar plans the breaks. Tests
build their own, compressed timelines with the same dataclasses. A plant resumed
after a restart goes on with the timeline of its first start (``story_start``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


def whole_seconds(span: timedelta) -> int:
    """A timeline offset in the model's resolution: whole seconds since the start."""
    return int(span.total_seconds())


@dataclass(frozen=True, slots=True)
class BearingWear:
    """A bearing that degrades on one machine until it breaks down and is replaced.

    Wear grows from ``onset`` to ``breakdown_at``, slowly at first: vibration
    rises first and most, bearing temperature later, motor current last and
    least. With the defaults, half-hour means of vibration stand clear of the
    noise from about 2 h, temperature from about 3 h, current from about 4.5 h.
    The machine then holds on the fault, is shut down (ABORTED) for the repair,
    and runs again with a new bearing and healthy signals.
    """

    machine_id: str = "l1-filler"
    # After the condition model's first training (about an hour of running).
    onset: timedelta = timedelta(hours=2)
    breakdown_at: timedelta = timedelta(hours=6)
    breakdown_duration: timedelta = timedelta(minutes=45)
    # The first part of the breakdown is HELD (tripped, being diagnosed), the rest
    # ABORTED: the bearing is replaced, the machine opened up and cold.
    held_duration: timedelta = timedelta(minutes=3)
    fault_code: int = 201
    # Rise of each signal at full wear, above the machine's healthy running level.
    vibration_rise_mm_s: float = 5.0
    temperature_rise_c: float = 12.0
    current_rise_a: float = 1.2

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.onset < self.breakdown_at:
            raise ValueError("bearing wear must start before the breakdown")
        if not timedelta(0) <= self.held_duration < self.breakdown_duration:
            raise ValueError("held_duration must be shorter than breakdown_duration")


@dataclass(frozen=True, slots=True)
class MicroStops:
    """Short random stops (jams, missing material) on every machine: SUSPENDED."""

    mean_interval: timedelta = timedelta(minutes=15)
    shortest: timedelta = timedelta(seconds=10)
    longest: timedelta = timedelta(seconds=90)
    fault_codes: tuple[int, ...] = (101, 102, 103, 104)

    def __post_init__(self) -> None:
        if self.mean_interval <= timedelta(0) or not self.fault_codes:
            raise ValueError("micro-stops need a positive interval and fault codes")
        if not timedelta(seconds=1) <= self.shortest <= self.longest:
            raise ValueError("micro-stop durations must satisfy 1 s <= shortest <= longest")


@dataclass(frozen=True, slots=True)
class Changeovers:
    """Product changeovers of each line: STOPPED, then RESETTING, then STARTING.

    The new product is loaded when RESETTING begins. Each line draws its own
    times, so lines do not change over together.
    """

    first_after: timedelta = timedelta(hours=2)
    every: timedelta = timedelta(hours=3)
    # Each changeover moves by up to this much either way.
    jitter: timedelta = timedelta(minutes=30)
    shortest: timedelta = timedelta(minutes=15)
    longest: timedelta = timedelta(minutes=20)

    def __post_init__(self) -> None:
        if self.every <= self.longest + self.jitter * 2:
            raise ValueError("changeovers must not overlap: every > longest + 2 * jitter")
        if not timedelta(seconds=3) <= self.shortest <= self.longest:
            raise ValueError("changeover durations must satisfy 3 s <= shortest <= longest")


@dataclass(frozen=True, slots=True)
class ScrapBurst:
    """A spell of bad parts on one machine (a worn tool, a bad batch of material)."""

    machine_id: str = "l3-packer"
    at: timedelta = timedelta(hours=3, minutes=30)
    duration: timedelta = timedelta(minutes=10)
    reject_rate: float = 0.3


@dataclass(frozen=True, slots=True)
class RejectRates:
    """Reject rates outside scrap bursts."""

    reject_rate: float = 0.01
    # Start-up rejects after a changeover or a breakdown, while the process settles.
    startup_reject_rate: float = 0.05
    startup_duration: timedelta = timedelta(minutes=3)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything that happens in one simulation run; ``None`` switches a part off."""

    bearing_wear: BearingWear | None = field(default_factory=BearingWear)
    scrap_burst: ScrapBurst | None = field(default_factory=ScrapBurst)
    micro_stops: MicroStops | None = field(default_factory=MicroStops)
    changeovers: Changeovers | None = field(default_factory=Changeovers)
    rejects: RejectRates = field(default_factory=RejectRates)
    # Machines are IDLE during the breaks of the site's shift calendar ...
    planned_breaks: bool = True
    # ... and outside its shifts, on non-working days and on holidays.
    idle_outside_shifts: bool = True

    def scenario_machines(self) -> frozenset[str]:
        """Machines that something unusual happens to (beyond micro-stops and changeovers)."""
        named = (self.bearing_wear, self.scrap_burst)
        return frozenset(part.machine_id for part in named if part is not None)


QUIET = Scenario(
    bearing_wear=None,
    scrap_burst=None,
    micro_stops=None,
    changeovers=None,
    planned_breaks=False,
    idle_outside_shifts=False,
)
"""Healthy machines running without interruption: a baseline for tests and training."""
