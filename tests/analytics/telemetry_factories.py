"""Scripted machine telemetry for analytics tests.

A script is a list of phases (a PackML state held over a span, with the parts
made per sampling step). ``script_readings`` turns it into the rows a
collector would write: a state row at each change, product rows, counter and
condition samples every ``step``. Phases and product changes are expected on
the sampling grid, so every counter interval lies in exactly one phase.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.data_coverage import seen_spans
from analytics.observation_windows import window_floor
from analytics.shift_calendar import ShiftWindow
from models.intervals import Interval
from models.readings import Reading
from models.states import PackMLState
from models.telemetry_series import (
    ConditionSample,
    ConditionWindow,
    CounterSample,
    FaultChange,
    MachineSeries,
    ProductChange,
    SignalMean,
    StateChange,
)
from storage.connections import Connection

EXECUTE = int(PackMLState.EXECUTE)
IDLE = int(PackMLState.IDLE)
STOPPED = int(PackMLState.STOPPED)
SUSPENDED = int(PackMLState.SUSPENDED)
ABORTED = int(PackMLState.ABORTED)
HELD = int(PackMLState.HELD)
RESETTING = int(PackMLState.RESETTING)

STEP = timedelta(seconds=30)
DAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday in winter time

ConditionModel = Callable[[datetime], Mapping[str, float]]

# Normal level and noise (sigma) of each condition signal of a healthy machine.
NORMAL = {"vibration_rms": (2.0, 0.1), "bearing_temp": (45.0, 0.5), "motor_current": (12.0, 0.2)}
# How a wearing bearing pushes them up, per hour.
BEARING_WEAR_PER_HOUR = {"vibration_rms": 0.4, "bearing_temp": 2.0, "motor_current": 0.3}


def at(hour: int, minute: int = 0, second: int = 0, *, day: datetime = DAY) -> datetime:
    return day.replace(hour=hour, minute=minute, second=second)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass(frozen=True, slots=True)
class Phase:
    """The machine holds ``state`` over ``[start, end)`` and makes parts per step."""

    start: datetime
    end: datetime
    state: int
    good_per_step: float = 0.0
    reject_per_step: float = 0.0


def running(start: datetime, end: datetime, good: float = 50, reject: float = 2) -> Phase:
    return Phase(start, end, EXECUTE, good, reject)


def halted(start: datetime, end: datetime, state: int) -> Phase:
    return Phase(start, end, state)


def shift(start: datetime, end: datetime, *breaks: tuple[datetime, datetime]) -> ShiftWindow:
    return ShiftWindow("early", start, end, tuple(Interval(s, e) for s, e in breaks))


@dataclass(frozen=True, slots=True)
class Counters:
    """How the PLC counters misbehave: where they start, when they are reset, and
    how many bits they have (they wrap at 2**bits)."""

    start: float = 0.0
    reset_after: datetime | None = None
    bits: int = 32


def condition_model(
    rng: np.random.Generator, *, wear_from: datetime | None = None
) -> ConditionModel:
    """Noisy condition signals around ``NORMAL``, drifting up from ``wear_from`` on."""

    def sample(when: datetime) -> dict[str, float]:
        hours_worn = 0.0
        if wear_from is not None and when > wear_from:
            hours_worn = (when - wear_from).total_seconds() / 3600
        return {
            signal: float(rng.normal(level, sigma)) + BEARING_WEAR_PER_HOUR[signal] * hours_worn
            for signal, (level, sigma) in NORMAL.items()
        }

    return sample


def _phase_at(phases: Sequence[Phase], when: datetime) -> Phase | None:
    return next((p for p in phases if p.start <= when < p.end), None)


def _in_gap(when: datetime, gaps: Sequence[Interval]) -> bool:
    return any(g.start < when < g.end for g in gaps)


def _sample_times(phases: Sequence[Phase], step: timedelta) -> list[datetime]:
    times, when = [], phases[0].start
    while when <= phases[-1].end:
        times.append(when)
        when += step
    return times


def _counter_levels(
    phases: Sequence[Phase], times: Sequence[datetime], counters: Counters, step: timedelta
) -> list[tuple[datetime, str, float]]:
    """What the PLC counters read at each sample time, wraps and reset included."""
    levels: list[tuple[datetime, str, float]] = []
    made = {"good_count": 0.0, "reject_count": 0.0}
    at_reset, base = dict(made), counters.start
    for when in times[1:]:
        producing = _phase_at(phases, when - step)
        if producing is not None:
            made["good_count"] += producing.good_per_step
            made["reject_count"] += producing.reject_per_step
        for signal, total in made.items():
            levels.append((when, signal, (base + total - at_reset[signal]) % 2**counters.bits))
        if counters.reset_after == when:
            at_reset, base = dict(made), 0.0
    return levels


def script_readings(
    machine_id: str,
    phases: Sequence[Phase],
    *,
    products: Sequence[tuple[datetime, int]] = (),
    faults: Sequence[tuple[datetime, int]] = (),
    condition: ConditionModel | None = None,
    gaps: Sequence[Interval] = (),
    counters: Counters = Counters(),
    step: timedelta = STEP,
) -> list[Reading]:
    """The telemetry rows of a scripted machine; nothing is sent inside a gap."""
    times = _sample_times(phases, step)
    rows: list[tuple[datetime, str, float]] = [
        *((p.start, "state", p.state) for p in phases),
        *((when, "product", code) for when, code in products),
        *((when, "fault_code", code) for when, code in faults),
        *((times[0], signal, counters.start) for signal in ("good_count", "reject_count")),
        *_counter_levels(phases, times, counters, step),
    ]
    if condition is not None:
        rows += [(when, s, v) for when in times for s, v in condition(when).items()]
    return sorted(
        (
            Reading(when, machine_id, signal, value)
            for when, signal, value in rows
            if not _in_gap(when, gaps)
        ),
        key=lambda r: (r.time, r.signal),
    )


def series_from(
    machine_id: str, readings: Sequence[Reading], *, max_gap_s: float = 120
) -> MachineSeries:
    """The series the storage reader would return for these rows."""
    by_signal: dict[str, list[Reading]] = {}
    for reading in readings:
        by_signal.setdefault(reading.signal, []).append(reading)
    return MachineSeries(
        machine_id=machine_id,
        states=tuple(StateChange(r.time, int(r.value)) for r in by_signal.get("state", [])),
        products=tuple(ProductChange(r.time, int(r.value)) for r in by_signal.get("product", [])),
        good=tuple(CounterSample(r.time, r.value) for r in by_signal.get("good_count", [])),
        reject=tuple(CounterSample(r.time, r.value) for r in by_signal.get("reject_count", [])),
        seen=tuple(seen_spans([r.time for r in readings], max_gap_s=max_gap_s)),
        faults=tuple(FaultChange(r.time, int(r.value)) for r in by_signal.get("fault_code", [])),
    )


async def insert_readings(
    conn: Connection, readings: Sequence[Reading], *, mark_late_data: bool = False
) -> None:
    """Write rows straight into the telemetry table.

    With ``mark_late_data`` the batch also lowers each machine's
    ``telemetry_pending_analysis`` mark to its oldest sample, as the collectors'
    writer does with every batch, so the next analytics cycle recomputes from there.
    """
    async with conn.cursor().copy(
        "COPY telemetry (time, machine_id, signal, value, quality) FROM STDIN"
    ) as copy:
        for r in readings:
            await copy.write_row((r.time, r.machine_id, r.signal, r.value, int(r.quality)))
    if mark_late_data:
        oldest: dict[str, datetime] = {}
        for r in readings:
            oldest[r.machine_id] = min(r.time, oldest.get(r.machine_id, r.time))
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO telemetry_pending_analysis AS p (machine_id, since) VALUES (%s, %s)"
                " ON CONFLICT (machine_id) DO UPDATE SET since = LEAST(p.since, EXCLUDED.since)",
                sorted(oldest.items()),
            )
    await conn.commit()


def condition_samples(
    model: ConditionModel, start: datetime, end: datetime, *, step: timedelta = STEP
) -> list[ConditionSample]:
    """Condition samples every ``step`` in ``[start, end)``."""
    samples: list[ConditionSample] = []
    when = start
    while when < end:
        samples += [ConditionSample(when, s, v) for s, v in model(when).items()]
        when += step
    return samples


def condition_windows(
    machine_id: str, samples: Sequence[ConditionSample], width: timedelta
) -> list[ConditionWindow]:
    """Window averages as the storage reader's ``time_bucket`` query returns them."""
    sums: dict[datetime, dict[str, list[float]]] = {}
    for sample in samples:
        start = window_floor(sample.time, width)
        sums.setdefault(start, {}).setdefault(sample.signal, []).append(sample.value)
    return [
        ConditionWindow(
            machine_id,
            start,
            start + width,
            tuple(
                SignalMean(signal, sum(values) / len(values), len(values))
                for signal, values in sorted(by_signal.items())
            ),
        )
        for start, by_signal in sorted(sums.items())
    ]
