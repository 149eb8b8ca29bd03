"""A machine's normal condition, learned from its early running time.

Each condition signal gets a robust center (median) and scale (MAD scaled to a
standard deviation) from the samples taken while the machine was running in
its first ``needed_s`` seconds of running time. Medians and MADs shrug off the
odd spike that a mean and a standard deviation would absorb. The baseline
assumes the machine was healthy then: a machine that starts out worn learns
worn as normal until its baseline is deleted and fitted again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from models.intervals import Interval
from models.telemetry_series import ConditionSample, StateChange

# Scales the MAD of normally distributed data to its standard deviation.
MAD_TO_SIGMA = 1.4826
# No signal is trusted to be steadier than 1 % of its normal level: a quantized
# or constant reading (MAD 0) would otherwise make every tiny change an anomaly.
RELATIVE_SCALE_FLOOR = 0.01
ABSOLUTE_SCALE_FLOOR = 1e-6


@dataclass(frozen=True, slots=True)
class SignalBaseline:
    """Normal level (``center``) and spread (``scale``, a robust sigma) of one signal."""

    signal: str
    center: float
    scale: float
    samples: int


@dataclass(frozen=True, slots=True)
class MachineBaseline:
    """The normal condition of one machine and the running time it was learned from."""

    machine_id: str
    trained_from: datetime
    trained_until: datetime
    signals: tuple[SignalBaseline, ...]

    def of(self, signal: str) -> SignalBaseline | None:
        return next((s for s in self.signals if s.signal == signal), None)


def running_intervals(
    changes: Sequence[StateChange], running_states: Collection[int], *, until: datetime
) -> list[Interval]:
    """The spans before ``until`` during which the machine was in a running state."""
    ordered = sorted((c for c in changes if c.time < until), key=lambda c: c.time)
    if not ordered:
        return []
    ends = [*(c.time for c in ordered[1:]), until]
    spans: list[Interval] = []
    for change, end in zip(ordered, ends, strict=True):
        if change.state not in running_states:
            continue
        if spans and spans[-1].end == change.time:
            spans[-1] = Interval(spans[-1].start, end)
        else:
            spans.append(Interval(change.time, end))
    return spans


def running_time_reached(spans: Sequence[Interval], needed_s: float) -> datetime | None:
    """The moment the running spans add up to ``needed_s``, or None if they never do."""
    total = 0.0
    for span in spans:
        if total + span.seconds >= needed_s:
            return span.start + timedelta(seconds=needed_s - total)
        total += span.seconds
    return None


def _signal_baseline(signal: str, values: Sequence[float]) -> SignalBaseline:
    data = np.asarray(values, dtype=float)
    center = float(np.median(data))
    mad = float(np.median(np.abs(data - center)))
    floor = max(RELATIVE_SCALE_FLOOR * abs(center), ABSOLUTE_SCALE_FLOOR)
    return SignalBaseline(signal, center, max(MAD_TO_SIGMA * mad, floor), len(values))


def fit_baseline(
    machine_id: str,
    samples: Sequence[ConditionSample],
    *,
    trained_from: datetime,
    trained_until: datetime,
    min_samples: int,
) -> MachineBaseline | None:
    """A baseline from running samples; signals with fewer than ``min_samples`` are left out.

    Returns None when no signal has enough samples.
    """
    by_signal: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        by_signal[sample.signal].append(sample.value)
    signals = tuple(
        _signal_baseline(signal, values)
        for signal, values in sorted(by_signal.items())
        if len(values) >= min_samples
    )
    if not signals:
        return None
    return MachineBaseline(machine_id, trained_from, trained_until, signals)
