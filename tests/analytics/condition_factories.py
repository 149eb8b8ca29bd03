"""Test data for the condition-model detector: observation batches and small trained models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.condition_observations import FloatArray, ObservationBatch, uniform_regimes
from analytics.condition_training import DetectorSettings, fit_condition_model
from models.condition_model import ConditionModel, SignalDirection

T0 = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
WIDTH = timedelta(seconds=30)
SIGNALS = ("vibration_rms", "bearing_temp", "motor_current")
# Small settings that keep training fast: 30 observations past a warm-up of 5 suffice.
FAST = DetectorSettings(smoothing_observations=5, min_observations=20, settle_observations=5)


def batch(
    values: FloatArray | Sequence[Sequence[float]],
    *,
    signals: Sequence[str] = SIGNALS,
    start: int = 0,
    regimes: Sequence[str] | None = None,
) -> ObservationBatch:
    """Observations ``WIDTH`` apart, the first ending ``start`` observations after ``T0``."""
    array = np.asarray(values, dtype=float)
    times = tuple(T0 + (start + i + 1) * WIDTH for i in range(array.shape[0]))
    labels = tuple(regimes) if regimes is not None else uniform_regimes(array.shape[0])
    return ObservationBatch(tuple(signals), times, array, labels)


def with_stop(
    values: FloatArray | Sequence[Sequence[float]],
    *,
    before: int,
    missing: int,
    start: int = 0,
    signals: Sequence[str] = SIGNALS,
) -> ObservationBatch:
    """Observations ``WIDTH`` apart as ``batch`` makes them, but with ``missing`` of them
    left out after the first ``before`` (a stop in running)."""
    array = np.asarray(values, dtype=float)
    first = batch(array[:before], signals=signals, start=start)
    rest = batch(array[before:], signals=signals, start=start + before + missing)
    return ObservationBatch(
        first.signals,
        first.times + rest.times,
        np.concatenate([first.values, rest.values]),
        first.regimes + rest.regimes,
    )


def healthy(
    rng: np.random.Generator,
    rows: int,
    *,
    levels: Sequence[float] = (0.0, 0.0, 0.0),
    sigmas: Sequence[float] = (1.0, 1.0, 1.0),
) -> FloatArray:
    """White noise around ``levels``: independent healthy observations."""
    values: FloatArray = rng.normal(levels, sigmas, size=(rows, len(levels)))
    return values


def trained(
    values: FloatArray,
    *,
    signals: Sequence[str] = SIGNALS,
    settings: DetectorSettings = FAST,
    directions: Mapping[str, SignalDirection] | None = None,
    machine_id: str = "l1-filler",
) -> ConditionModel:
    return fit_condition_model(
        machine_id,
        batch(values, signals=signals),
        directions=directions or {},
        settings=settings,
        observation_width_s=WIDTH.total_seconds(),
    )
