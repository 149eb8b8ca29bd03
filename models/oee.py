"""OEE results as analytics produce them and the API serves them.

The time model, the line definitions and the six-big-losses mapping are
written out in docs/oee.md; the docstrings here say what each figure holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OeeScope(StrEnum):
    """What an OEE result rates.

    - ``MACHINE``: one machine (station).
    - ``LINE``: the line as a system, by its output: the output machine's time
      model, the good parts it delivers, every station's rejects, all at the
      line's (bottleneck's) ideal rate.
    - ``LINE_MACHINES``: the line's machines taken together: their times and
      counts added up and the ratios taken again (the planned-time-weighted
      machine OEE that plant-wide comparisons use).
    """

    MACHINE = "machine"
    LINE = "line"
    LINE_MACHINES = "line_machines"


class LossCategory(StrEnum):
    """The TPM six big losses."""

    BREAKDOWNS = "breakdowns"
    SETUP_ADJUSTMENT = "setup_adjustment"
    SMALL_STOPS = "small_stops"
    REDUCED_SPEED = "reduced_speed"
    STARTUP_REJECTS = "startup_rejects"
    PRODUCTION_REJECTS = "production_rejects"


@dataclass(frozen=True, slots=True)
class LossEntry:
    """One of the six big losses of a machine or line over a period.

    ``seconds`` is the time lost (for the two reject losses: the ideal time of the
    rejected parts); ``count`` the number of events (stops) or parts (rejects).
    Reduced speed has no events; its count is 0.
    """

    category: LossCategory
    seconds: float
    count: float


@dataclass(frozen=True, slots=True)
class OeeResult:
    """A, P, Q and OEE of one machine or line over one shift (or a period of shifts).

    Times are seconds inside the shift's planned busy time. ``performance_flagged``
    is set when the raw performance came out above 100 %, which always means a
    data problem (wrong ideal cycle time, double counting); ``performance`` is
    then capped and must not be shown as a genuine figure.

    ``losses`` holds the six big losses, one entry per category in
    ``LossCategory`` order; their seconds add up to planned busy time minus the
    ideal time of the good parts (the OEE loss), unless performance is flagged.
    """

    scope: OeeScope
    subject_id: str
    shift_name: str
    shift_start: datetime
    shift_end: datetime
    planned_busy_s: float
    running_s: float
    setup_s: float
    breakdown_s: float
    stop_s: float
    idle_s: float
    unknown_s: float
    good_count: float
    reject_count: float
    ideal_output_s: float
    availability: float
    performance: float
    quality: float
    oee: float
    performance_flagged: bool = False
    losses: tuple[LossEntry, ...] = ()

    def loss(self, category: LossCategory) -> LossEntry:
        """The entry of one loss category; zero when the result has none."""
        return next(
            (entry for entry in self.losses if entry.category is category),
            LossEntry(category, 0.0, 0.0),
        )


class DowntimeCategory(StrEnum):
    """What kind of stop a downtime event is (``DowntimeEvent.category``)."""

    BREAKDOWN = "breakdown"
    SETUP = "setup"
    STOP = "stop"
    MICRO_STOP = "micro_stop"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class DowntimeEvent:
    """One stretch of a machine not running, inside planned busy time.

    ``start`` and ``end`` are the stop as the state history shows it (it may run
    past breaks and shift ends); ``seconds`` is the part of it that fell inside
    planned busy time with data, the time it cost. ``category`` is a
    ``DowntimeCategory`` value; ``reason`` comes from the plant file's fault-code
    table as it was when the stop was computed.
    """

    machine_id: str
    start: datetime
    end: datetime
    category: str
    fault_code: int | None
    reason: str
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ShiftDowntime:
    """The part of one stop that fell in one shift.

    ``event.seconds`` is the time lost in this shift; ``counted`` is set in
    the first shift the stop cost time in, so each stop is counted once.
    """

    shift_start: datetime
    event: DowntimeEvent
    counted: bool


@dataclass(frozen=True, slots=True)
class ParetoEntry:
    """Downtime of one reason, summed over machines and a period; sorted largest first."""

    reason: str
    fault_code: int | None
    seconds: float
    count: int


@dataclass(frozen=True, slots=True)
class ReliabilityFigures:
    """MTBF and MTTR of a machine over a period, from its state history.

    None where there was no failure to measure from.
    """

    machine_id: str
    failures: int
    running_s: float
    repair_s: float
    mtbf_s: float | None
    mttr_s: float | None

    @classmethod
    def of(
        cls, machine_id: str, *, failures: int, running_s: float, repair_s: float
    ) -> ReliabilityFigures:
        """MTBF = running time / failures, MTTR = breakdown time / failures."""
        return cls(
            machine_id=machine_id,
            failures=failures,
            running_s=running_s,
            repair_s=repair_s,
            mtbf_s=running_s / failures if failures else None,
            mttr_s=repair_s / failures if failures else None,
        )
