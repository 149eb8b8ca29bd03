"""OEE of one machine over a run of shifts, on the ISO 22400-2 time model.

Definitions (the choices are ours where the standard leaves room; docs/oee.md
has them all in one place):

- Planned busy time = the shift minus its planned breaks, minus time without
  data. Breaks never count as a loss; "no orders" and planned maintenance
  are planned by leaving the shift out of the calendar (holidays, working
  days). A data gap (``unknown_s``) is neither credited nor blamed: it leaves
  planned busy time, and parts counted across it are left out too, so A, P
  and Q describe only the time we saw. Unmapped or undefined machine states
  are unknown time too.
- For a shift still running, only its elapsed part (up to ``data_end``) counts.
- Actual production time = running time. Micro-stops (unplanned stops
  shorter than the plant's threshold) stay in it under the TPM policy and
  cost performance; under the ISO 22400-2 policy they are stop time and cost
  availability (``models.oee_settings.MicroStopPolicy``).
- Setup, breakdown, stop and idle time are availability losses. Idle is the
  machine waiting inside planned time (starved, blocked, no start command).
- Counts are spread evenly over the time between two counter readings; only
  the share inside planned time with data counts, so a reading just after a
  shift change or a break does not book the parts of the time before it.
- Ideal output time = sum over counted parts (good + reject) of the ideal
  cycle time of the product running when they were counted. Parts of an
  unknown product add no ideal time, which shows as low performance.
- The ratios (A, P, Q, OEE, the cap on P above 100 %) are taken in
  ``models.oee_ratios``; the six big losses in ``analytics.oee_losses``;
  line figures in ``analytics.line_oee``.

The work is split so that the heavy part runs in SQL: ``plan_machine`` turns
the state history into runs and count slots; the storage reader tallies the
counters into those slots and finds the seen spans; ``machine_shifts`` adds
it up per shift. ``machine_oee`` does the same from samples held in memory.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from analytics.counter_increments import tally_counter
from analytics.data_coverage import covered_intervals
from analytics.downtime_events import downtime_category, downtime_reason
from analytics.oee_losses import LossTally, six_big_losses
from analytics.part_counts import CountSlots, ShiftParts, count_slots, parts_per_shift
from analytics.shift_calendar import ShiftWindow
from analytics.state_timeline import Run, known_pieces, run_seconds, startup_windows, state_runs
from models.counter_tally import CounterTally
from models.intervals import Interval
from models.oee import DowntimeCategory, DowntimeEvent, OeeResult, OeeScope, ShiftDowntime
from models.oee_ratios import OeeTotals, rate
from models.oee_settings import MicroStopPolicy
from models.plant import DEFAULT_COUNTER_BITS, CounterBits, Plant
from models.states import TimeCategory
from models.telemetry_series import MachineEvents, MachineSeries

# Readings every ~30 s: four missing in a row is a gap, not a slow collector.
DEFAULT_MAX_SAMPLE_GAP_S = 120.0
# How far the state history is read around a run of shifts: a stop in force at the
# first shift's start is measured (and counted) from where it really began, and one
# going on at the last shift's end is judged on its length after it.
STATE_HISTORY = timedelta(hours=24)
# The storage reader aggregates counters in cells of at most this width.
COUNT_CELL = timedelta(minutes=1)

_UNPLANNED = (DowntimeCategory.BREAKDOWN, DowntimeCategory.STOP, DowntimeCategory.IDLE)


@dataclass(frozen=True, slots=True)
class OeeRules:
    """What OEE needs from the plant file, plus the data-gap tolerance."""

    state_categories: Mapping[int, TimeCategory]
    ideal_cycle_s: Mapping[int, float]
    micro_stop_threshold_s: float
    max_sample_gap_s: float = DEFAULT_MAX_SAMPLE_GAP_S
    micro_stop_policy: MicroStopPolicy = MicroStopPolicy.PERFORMANCE
    startup_window_s: float = 180.0
    fault_reasons: Mapping[int, str] | None = None

    @classmethod
    def from_plant(
        cls, plant: Plant, *, max_sample_gap_s: float = DEFAULT_MAX_SAMPLE_GAP_S
    ) -> OeeRules:
        return cls(
            state_categories=dict(plant.state_categories),
            ideal_cycle_s={p.code: p.ideal_cycle_s for p in plant.products},
            micro_stop_threshold_s=plant.micro_stop_threshold_s,
            max_sample_gap_s=max_sample_gap_s,
            micro_stop_policy=plant.micro_stop_policy,
            startup_window_s=plant.startup_window_s,
            fault_reasons=dict(plant.fault_reasons),
        )

    @property
    def max_sample_gap(self) -> timedelta:
        return timedelta(seconds=self.max_sample_gap_s)

    @property
    def count_cell(self) -> timedelta:
        """Counter cells no wider than the gap tolerance never hide a gap inside."""
        return min(COUNT_CELL, self.max_sample_gap)

    @property
    def lookback(self) -> timedelta:
        """How far before a shift late data can still change it.

        A stop that began this long before is already longer than the micro-stop
        threshold, and the first sample after it is at most one gap away.
        """
        return timedelta(seconds=self.micro_stop_threshold_s + self.max_sample_gap_s)

    def reading_span(
        self, shifts: Sequence[ShiftWindow], now: datetime
    ) -> tuple[datetime, datetime]:
        """The counters and coverage to read for ``shifts``: from ``lookback`` before the
        first to one gap after the last (the first reading after its end carries its
        last parts), never past ``now``."""
        return shifts[0].start - self.lookback, min(now, shifts[-1].end + self.max_sample_gap)


@dataclass(frozen=True, slots=True)
class MachinePlan:
    """What one machine's state history says about a run of shifts, before counting."""

    machine_id: str
    shifts: tuple[ShiftWindow, ...]
    data_end: datetime
    runs: tuple[Run, ...]
    slots: CountSlots


@dataclass(frozen=True, slots=True)
class MachineShift:
    """One machine's figures in one shift: totals with losses, what the line figures
    need, and the stops that cost time in it."""

    machine_id: str
    shift: ShiftWindow
    totals: OeeTotals
    tally: LossTally
    downtimes: tuple[ShiftDowntime, ...]

    def result(self) -> OeeResult:
        return rate(
            self.totals,
            scope=OeeScope.MACHINE,
            subject_id=self.machine_id,
            name=self.shift.name,
            start=self.shift.start,
            end=self.shift.end,
        )


def state_history_span(
    shifts: Sequence[ShiftWindow], data_end: datetime
) -> tuple[datetime, datetime]:
    """The state, fault and product changes to read for ``shifts``."""
    return shifts[0].start - STATE_HISTORY, min(data_end, shifts[-1].end + STATE_HISTORY)


def plan_machine(
    events: MachineEvents,
    shifts: Sequence[ShiftWindow],
    rules: OeeRules,
    *,
    history_start: datetime,
    data_end: datetime,
) -> MachinePlan:
    """Runs and count slots of ``shifts`` (in time order) from the state history read
    from ``history_start`` to the end of ``state_history_span``."""
    runs = state_runs(
        events.states,
        rules.state_categories,
        start=history_start,
        end=state_history_span(shifts, data_end)[1],
        micro_stop_threshold_s=rules.micro_stop_threshold_s,
        faults=events.faults,
    )
    slots = count_slots(
        [s.planned_intervals(until=data_end) for s in shifts],
        events.products,
        rules.ideal_cycle_s,
        startup_windows(runs, seconds=rules.startup_window_s),
    )
    return MachinePlan(events.machine_id, tuple(shifts), data_end, tuple(runs), slots)


@dataclass(frozen=True, slots=True)
class _ShiftTime:
    """Seconds per category and the stops of one shift, before the policy is applied."""

    seconds: dict[TimeCategory, float]
    micro_stop_s: float
    downtimes: tuple[ShiftDowntime, ...]


class _Calendar:
    """Whether any planned time lies between two instants (counting a stop once)."""

    def __init__(self, planned: Sequence[Interval]) -> None:
        self._planned = sorted(planned, key=lambda p: p.start)
        self._ends = [p.end for p in self._planned]

    def planned_between(self, start: datetime, end: datetime) -> bool:
        index = bisect.bisect_right(self._ends, start)
        return index < len(self._planned) and self._planned[index].start < end


def _shift_time(
    plan: MachinePlan,
    shift: ShiftWindow,
    seconds_by_run: Mapping[int, float],
    calendar: _Calendar,
    reasons: Mapping[int, str],
) -> _ShiftTime:
    seconds = dict.fromkeys(TimeCategory, 0.0)
    micro_stop_s = 0.0
    downtimes = []
    for index, lost in sorted(seconds_by_run.items()):
        run = plan.runs[index]
        if run.micro_stop:
            micro_stop_s += lost
        else:
            seconds[run.category] += lost
        category = downtime_category(run)
        if category is None or lost <= 0:
            continue
        event = DowntimeEvent(
            machine_id=plan.machine_id,
            start=run.start,
            end=run.end,
            category=str(category),
            fault_code=run.fault_code,
            reason=downtime_reason(category, run.fault_code, reasons),
            seconds=lost,
        )
        counted = not calendar.planned_between(run.start, shift.start)
        downtimes.append(ShiftDowntime(shift.start, event, counted))
    return _ShiftTime(seconds, micro_stop_s, tuple(downtimes))


def _totals(
    time: _ShiftTime, planned_s: float, parts: ShiftParts, rules: OeeRules
) -> tuple[OeeTotals, LossTally]:
    in_running = rules.micro_stop_policy is MicroStopPolicy.PERFORMANCE
    seconds = time.seconds
    known = sum(v for c, v in seconds.items() if c is not TimeCategory.UNKNOWN)
    counted = [d.event.category for d in time.downtimes if d.counted]
    totals = OeeTotals(
        running_s=seconds[TimeCategory.RUNNING] + (time.micro_stop_s if in_running else 0.0),
        setup_s=seconds[TimeCategory.SETUP],
        breakdown_s=seconds[TimeCategory.BREAKDOWN],
        stop_s=seconds[TimeCategory.STOP] + (0.0 if in_running else time.micro_stop_s),
        idle_s=seconds[TimeCategory.IDLE],
        unknown_s=max(0.0, planned_s - known - time.micro_stop_s),
        good=parts.good,
        reject=parts.reject,
        ideal_output_s=parts.ideal_output_s,
    )
    tally = LossTally(
        micro_stop_s=time.micro_stop_s,
        micro_stops_in_running=in_running,
        micro_stops=counted.count(DowntimeCategory.MICRO_STOP),
        unplanned_stops=sum(counted.count(c) for c in _UNPLANNED),
        setups=counted.count(DowntimeCategory.SETUP),
        reject_ideal_s=parts.reject_ideal_s,
        startup_rejects=parts.startup_rejects,
        startup_reject_ideal_s=parts.startup_reject_ideal_s,
    )
    return replace(totals, losses=six_big_losses(totals, tally)), tally


def machine_shifts(
    plan: MachinePlan,
    *,
    seen: Sequence[Interval],
    good: CounterTally,
    reject: CounterTally,
    rules: OeeRules,
    calendar_planned: Sequence[Interval] = (),
) -> list[MachineShift]:
    """The machine's figures in each shift of the plan.

    ``seen`` holds the spans in which any of the machine's signals kept coming;
    ``good`` and ``reject`` are the counter tallies for ``plan.slots``.
    ``calendar_planned`` is the calendar's planned time before the first shift,
    back to the first run: a stop that cost planned time there is not counted
    again in these shifts.
    """
    covered = covered_intervals(seen, until=plan.data_end, max_gap_s=rules.max_sample_gap_s)
    pieces = known_pieces(plan.runs, covered)
    piece_ends = [p.end for p in pieces]
    planned_by_shift = [s.planned_intervals(until=plan.data_end) for s in plan.shifts]
    calendar = _Calendar([*calendar_planned, *(p for spans in planned_by_shift for p in spans)])
    parts = parts_per_shift(
        plan.slots, good=good, reject=reject, covered=covered, shifts=len(plan.shifts)
    )
    reasons = rules.fault_reasons or {}
    figures = []
    for shift, planned, shift_parts in zip(plan.shifts, planned_by_shift, parts, strict=True):
        time = _shift_time(plan, shift, run_seconds(pieces, piece_ends, planned), calendar, reasons)
        totals, tally = _totals(time, sum(p.seconds for p in planned), shift_parts, rules)
        figures.append(MachineShift(plan.machine_id, shift, totals, tally, time.downtimes))
    return figures


def machine_oee_in_memory(
    series: MachineSeries,
    shifts: Sequence[ShiftWindow],
    rules: OeeRules,
    *,
    data_end: datetime,
    good_bits: CounterBits = DEFAULT_COUNTER_BITS,
    reject_bits: CounterBits = DEFAULT_COUNTER_BITS,
) -> list[MachineShift]:
    """``machine_shifts`` from samples held in memory, tallied with numpy instead of SQL.

    ``series`` should reach from ``STATE_HISTORY`` (at least ``rules.lookback``)
    before the first shift to ``data_end``; the counters are ``good_bits`` and
    ``reject_bits`` wide (``Machine.counter_bits``).
    """
    history_start = min(
        [shifts[0].start - rules.lookback, *(c.time for c in series.states)], default=data_end
    )
    plan = plan_machine(
        series.events(), shifts, rules, history_start=history_start, data_end=data_end
    )
    bounds = plan.slots.bounds_s
    gap = rules.max_sample_gap_s
    return machine_shifts(
        plan,
        seen=series.seen,
        good=tally_counter(series.good, bounds, max_gap_s=gap, bits=good_bits),
        reject=tally_counter(series.reject, bounds, max_gap_s=gap, bits=reject_bits),
        rules=rules,
    )


def machine_oee(
    series: MachineSeries, shift: ShiftWindow, rules: OeeRules, *, data_end: datetime
) -> OeeResult:
    """OEE of one machine over the part of ``shift`` before ``data_end``, from samples
    held in memory."""
    return machine_oee_in_memory(series, [shift], rules, data_end=data_end)[0].result()
