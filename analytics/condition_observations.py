"""Observations: a machine's condition signals as one row per moment, ready to score.

An observation is a vector of signal values at one time, with the operating
regime the machine was in. Live data makes one per bucket of running time
(averages of the samples in it); a CSV under evaluation makes one per row. Both
then go through the same training and streaming scorer. A signal missing from
an observation is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from models.condition_model import ANY_REGIME
from models.telemetry_series import ConditionWindow

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    """Observations of one machine in time order: ``values[i, j]`` is signal j at time i."""

    signals: tuple[str, ...]
    times: tuple[datetime, ...]
    values: FloatArray
    regimes: tuple[str, ...]

    def __post_init__(self) -> None:
        rows = len(self.times)
        if self.values.shape != (rows, len(self.signals)) or len(self.regimes) != rows:
            raise ValueError("an observation batch needs one value per signal and time")

    def __len__(self) -> int:
        return len(self.times)

    def slice(self, start: int, stop: int) -> ObservationBatch:
        return ObservationBatch(
            self.signals,
            self.times[start:stop],
            self.values[start:stop],
            self.regimes[start:stop],
        )

    def select(self, signals: Sequence[str]) -> ObservationBatch:
        """The same observations with the columns of ``signals`` (NaN where absent)."""
        index = {name: j for j, name in enumerate(self.signals)}
        columns = [
            self.values[:, index[s]] if s in index else np.full(len(self), np.nan) for s in signals
        ]
        values = np.column_stack(columns) if columns else np.empty((len(self), 0))
        return ObservationBatch(tuple(signals), self.times, values, self.regimes)


def batch_from_windows(
    windows: Sequence[ConditionWindow], signals: Sequence[str]
) -> ObservationBatch:
    """Observations from window averages, one per window, timed at the window's end."""
    index = {name: j for j, name in enumerate(signals)}
    values = np.full((len(windows), len(signals)), np.nan)
    for i, window in enumerate(windows):
        for mean in window.signals:
            j = index.get(mean.signal)
            if j is not None:
                values[i, j] = mean.mean
    return ObservationBatch(
        tuple(signals),
        tuple(w.end for w in windows),
        values,
        tuple(w.regime for w in windows),
    )


def empty_batch(signals: Sequence[str]) -> ObservationBatch:
    return ObservationBatch(tuple(signals), (), np.empty((0, len(signals))), ())


def uniform_regimes(rows: int) -> tuple[str, ...]:
    return (ANY_REGIME,) * rows


@dataclass(frozen=True, slots=True)
class Settling:
    """Which observations are past warm-up, and which of those start afresh."""

    settled: tuple[bool, ...]
    # For each settled observation: whether a restart came since the previous settled one.
    fresh_start: tuple[bool, ...]
    last_time: datetime | None
    since_restart: int


def settling(
    times: Sequence[datetime],
    *,
    width_s: float,
    gap_observations: float,
    settle: int,
    last_time: datetime | None,
    since_restart: int,
) -> Settling:
    """Mark warm-up after each restart: a gap over ``gap_observations`` widths.

    Without a ``last_time`` the first observation is a restart (a machine's first data).
    """
    settled: list[bool] = []
    fresh: list[bool] = []
    restarted = False
    previous = last_time
    since = since_restart
    for time in times:
        if previous is None or (time - previous).total_seconds() > gap_observations * width_s:
            since = 0
            restarted = True
        else:
            since += 1
        previous = time
        past_warm_up = since >= settle
        settled.append(past_warm_up)
        if past_warm_up:
            fresh.append(restarted)
            restarted = False
    return Settling(tuple(settled), tuple(fresh), previous, since)


def pick(batch: ObservationBatch, rows: Sequence[bool]) -> ObservationBatch:
    """The observations whose flag is set."""
    index = [i for i, keep in enumerate(rows) if keep]
    return ObservationBatch(
        batch.signals,
        tuple(batch.times[i] for i in index),
        batch.values[index] if index else batch.values[:0],
        tuple(batch.regimes[i] for i in index),
    )
