"""Learning a machine's normal condition from healthy running data. Pure.

The model is multivariate: each signal is normalised by its own regime's
center and scale, the normalised vectors are smoothed over a few observations,
and their squared Mahalanobis distance from the training center (with a
Ledoit-Wolf shrunk covariance, so relations between signals count and a short
training stretch still gives a usable inverse) is the raw anomaly measure.
docs/anomaly_detection.md compares this with PCA T² + SPE.

The alarm threshold comes from the training data's own distances, measured
out of sample (each contiguous fold scored by a model of the others, so the
threshold also reflects how much the machine wanders within its training
stretch), fitted with a gamma distribution and cut at a false-alarm
probability per observation: one setting, the same meaning on every machine.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats
from sklearn.covariance import LedoitWolf

from analytics.condition_observations import FloatArray, ObservationBatch, pick, settling
from analytics.condition_smoothing import direction_gate, rolling_mean
from models.condition_model import (
    ANY_REGIME,
    Calibration,
    ConditionModel,
    RegimeNormal,
    ScaleBasis,
    SignalDirection,
    SignalNormal,
)

METHOD = "ledoit-wolf mahalanobis on smoothed regime-normalised signals"
# Scales the MAD of normally distributed data to its standard deviation.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """How models are trained and how scores are smoothed; counts are in observations."""

    smoothing_observations: int = 30
    # The reference follows healthy drift with this time constant (in observations).
    drift_time_constant_observations: float = 300.0
    false_alarm_probability: float = 1e-4
    # Added to the covariance of the smoothed observations as min_shift_sigma**2 * I.
    min_shift_sigma: float = 0.75
    # A signal is slow when more than this share of its training variance survives a
    # moving average over slow_window_observations (white noise keeps about 1/window).
    slow_variance_share: float = 0.35
    slow_window_observations: int = 30
    slow_time_constant_observations: float = 20.0
    # A running gap over this many observation widths is a restart; the next
    # settle_observations (warm-up) are neither trained on nor scored.
    restart_gap_observations: float = 10.0
    settle_observations: int = 30
    # Training needs this many observations per scored signal (at least min_observations).
    observations_per_signal: int = 10
    min_observations: int = 30
    # A regime needs this many training observations for normals of its own.
    min_regime_observations: int = 30
    calibration_folds: int = 5

    def observations_needed(self, signals: int) -> int:
        """Enough for a covariance of ``signals`` and four smoothing windows to settle."""
        return max(
            self.min_observations,
            self.observations_per_signal * max(signals, 1),
            4 * self.smoothing_observations,
        )


class TrainingError(ValueError):
    """The data cannot make a model; the message says why."""


def _resolution(values: FloatArray) -> float:
    distinct = np.unique(values)
    steps = np.diff(distinct)
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 0.0


def signal_normal(signal: str, values: FloatArray) -> SignalNormal:
    """Center and scale of one signal from its training values (NaN-free)."""
    center = float(np.median(values))
    resolution = _resolution(values)
    if resolution == 0.0:
        return SignalNormal(signal, center, 1.0, ScaleBasis.CONSTANT, 0.0, int(values.size))
    # Half the standard deviation as a floor: where more than half the values are
    # equal (a quantized, mostly steady signal) the MAD is zero or too small. The
    # deviation of the central 98 % only, so that one glitch does not inflate it.
    low, high = np.quantile(values, [0.01, 0.99])
    central = values[(values >= low) & (values <= high)]
    spread = max(
        MAD_TO_SIGMA * float(np.median(np.abs(values - center))), 0.5 * float(np.std(central))
    )
    if resolution > spread:
        return SignalNormal(
            signal, center, resolution, ScaleBasis.RESOLUTION, resolution, int(values.size)
        )
    return SignalNormal(signal, center, spread, ScaleBasis.SPREAD, resolution, int(values.size))


def _regime_normal(
    regime: str, batch: ObservationBatch, rows: FloatArray, overall: RegimeNormal | None
) -> RegimeNormal:
    normals: list[SignalNormal] = []
    for j, signal in enumerate(batch.signals):
        column = rows[:, j]
        normal = signal_normal(signal, column[~np.isnan(column)])
        if overall is not None and normal.basis is ScaleBasis.CONSTANT:
            # Steady within this regime but not overall: keep the overall spread.
            normal = SignalNormal(
                signal,
                normal.center,
                overall.signals[j].scale,
                overall.signals[j].basis,
                overall.signals[j].resolution,
                normal.samples,
            )
        normals.append(normal)
    return RegimeNormal(regime, int(rows.shape[0]), tuple(normals))


def normalise(batch: ObservationBatch, regimes: Sequence[RegimeNormal]) -> FloatArray:
    """Each value as deviations from its regime's center, in its regime's scale."""
    by_key = {r.regime: r for r in regimes}
    overall = by_key[ANY_REGIME]
    keys = np.asarray(batch.regimes, dtype=object)
    result = np.empty_like(batch.values)
    for key in set(batch.regimes):
        normal = by_key.get(key, overall)
        rows = keys == key
        centers = np.fromiter((s.center for s in normal.signals), float, len(normal.signals))
        scales = np.fromiter((s.scale for s in normal.signals), float, len(normal.signals))
        result[rows] = (batch.values[rows] - centers) / scales
    return result


def _mahalanobis(residuals: FloatArray, location: FloatArray, precision: FloatArray) -> FloatArray:
    centered = residuals - location
    distances: FloatArray = np.einsum("ij,jk,ik->i", centered, precision, centered)
    return distances


def _fit_precision(smoothed: FloatArray, min_shift_sigma: float) -> tuple[FloatArray, FloatArray]:
    """Center and precision of smoothed observations: Ledoit-Wolf, plus the minimum shift."""
    fitted = LedoitWolf().fit(smoothed)
    covariance = fitted.covariance_ + min_shift_sigma**2 * np.eye(smoothed.shape[1])
    return fitted.location_, np.linalg.inv(covariance)


def _out_of_sample_distances(
    smoothed: FloatArray,
    directions: Sequence[SignalDirection],
    settings: DetectorSettings,
) -> FloatArray:
    """Each contiguous fold's distances under a covariance fitted on the other folds."""
    bounds = np.linspace(0, smoothed.shape[0], settings.calibration_folds + 1).astype(int)
    distances: list[FloatArray] = []
    for start, stop in itertools.pairwise(bounds):
        rest = np.concatenate([smoothed[:start], smoothed[stop:]])
        location, precision = _fit_precision(rest, settings.min_shift_sigma)
        held = direction_gate(smoothed[start:stop] - location, directions)
        distances.append(_mahalanobis(held, np.zeros(held.shape[1]), precision))
    return np.concatenate(distances)


def slow_signals(normalised: FloatArray, settings: DetectorSettings) -> tuple[bool, ...]:
    """Which signals move mostly slowly in training (a temperature, not a vibration)."""
    window = settings.slow_window_observations
    if normalised.shape[0] <= window:
        columns: int = normalised.shape[1]
        return (False,) * columns
    averaged = rolling_mean(normalised, normalised[:0], window)[window:]
    total = normalised.var(axis=0)
    surviving = averaged.var(axis=0)
    share = np.divide(surviving, total, out=np.zeros_like(total), where=total > 1e-12)
    flags: list[bool] = [bool(v) for v in share > settings.slow_variance_share]
    return tuple(flags)


def calibrate(
    distances: FloatArray, false_alarm_probability: float, *, floor: float = 0.0
) -> Calibration:
    """The threshold at ``false_alarm_probability`` of a gamma fitted to the distances,
    and never below ``floor``.

    The floor is the distance of a steady shift of ``min_shift_sigma`` raw sigmas
    in the most tightly learned signal: a short, quiet training stretch would
    otherwise put the limit below shifts that a healthy machine makes over days.
    """
    positive = np.clip(distances, 1e-12, None)
    shape, _, scale = stats.gamma.fit(positive, floc=0)
    quantile = float(stats.gamma.ppf(1.0 - false_alarm_probability, shape, loc=0, scale=scale))
    limit = max(quantile, floor)
    return Calibration(
        false_alarm_probability=false_alarm_probability,
        gamma_shape=float(shape),
        gamma_scale=float(scale),
        limit=limit,
        training_exceedance=float(np.mean(distances >= limit)),
    )


def _regimes(batch: ObservationBatch, settings: DetectorSettings) -> tuple[RegimeNormal, ...]:
    overall = _regime_normal(ANY_REGIME, batch, batch.values, None)
    regimes = [overall]
    counts = Counter(batch.regimes)
    for key, count in sorted(counts.items()):
        if key == ANY_REGIME or count < settings.min_regime_observations:
            continue
        rows = batch.values[np.asarray([r == key for r in batch.regimes])]
        regimes.append(_regime_normal(key, batch, rows, overall))
    return tuple(regimes)


def _drop_constant(
    batch: ObservationBatch, regimes: tuple[RegimeNormal, ...]
) -> tuple[ObservationBatch, tuple[RegimeNormal, ...]]:
    """Scored signals only; constant ones stay listed in the overall normals."""
    overall = regimes[0]
    kept = [j for j, s in enumerate(overall.signals) if s.basis is not ScaleBasis.CONSTANT]
    if not kept:
        raise TrainingError("every signal was constant in the training data")
    scored = batch.select([batch.signals[j] for j in kept])
    trimmed = tuple(
        RegimeNormal(r.regime, r.observations, tuple(r.signals[j] for j in kept))
        for r in regimes[1:]
    )
    return scored, (overall, *trimmed)


def fit_condition_model(
    machine_id: str,
    batch: ObservationBatch,
    *,
    directions: Mapping[str, SignalDirection],
    settings: DetectorSettings,
    observation_width_s: float,
    library_versions: Mapping[str, str] | None = None,
) -> ConditionModel:
    """A model of the batch's observations, assumed healthy running data.

    Signals missing from more than half the observations are left out; the
    remaining gaps are filled with the signal's median. Raises TrainingError
    when the batch is too short or no signal is usable.
    """
    usable = [
        s for j, s in enumerate(batch.signals) if np.mean(~np.isnan(batch.values[:, j])) > 0.5
    ]
    if not usable:
        raise TrainingError("no signal has values in more than half the observations")
    needed = settings.observations_needed(len(usable))
    if len(batch) < needed:
        raise TrainingError(f"{len(batch)} observations; training needs {needed}")
    warm = settling(
        batch.times,
        width_s=observation_width_s,
        gap_observations=settings.restart_gap_observations,
        settle=settings.settle_observations,
        last_time=None,
        since_restart=0,
    )
    past_warm_up = pick(batch.select(usable), warm.settled)
    # Checked before the gaps are filled: a median of no observations warns.
    if len(past_warm_up) < needed:
        raise TrainingError(
            f"{len(past_warm_up)} observations past warm-up after restarts; training needs {needed}"
        )
    batch = _fill_gaps(past_warm_up)
    regimes = _regimes(batch, settings)
    scored, regimes = _drop_constant(batch, regimes)
    scored_regimes = tuple(_only_scored(r, scored.signals) for r in regimes)
    signal_directions = tuple(directions.get(s, SignalDirection.BOTH) for s in scored.signals)
    normalised = normalise(scored, scored_regimes)
    smoothed = rolling_mean(normalised, normalised[:0], settings.smoothing_observations)
    # The first observations average over less than a full window: left out.
    settled = smoothed[min(settings.smoothing_observations, len(smoothed) // 2) :]
    location, precision = _fit_precision(settled, settings.min_shift_sigma)
    calibration = calibrate(
        _out_of_sample_distances(settled, signal_directions, settings),
        settings.false_alarm_probability,
        floor=settings.min_shift_sigma**2 * float(np.max(np.diag(precision))),
    )
    return ConditionModel(
        machine_id=machine_id,
        method=METHOD,
        signals=scored.signals,
        directions=signal_directions,
        regimes=scored_regimes,
        constant=tuple(n for n in regimes[0].signals if n.basis is ScaleBasis.CONSTANT),
        location=tuple(float(v) for v in location),
        precision=tuple(tuple(float(v) for v in row) for row in precision),
        calibration=calibration,
        observation_width_s=observation_width_s,
        smoothing_observations=settings.smoothing_observations,
        drift_time_constant_observations=settings.drift_time_constant_observations,
        slow=slow_signals(normalised, settings),
        slow_time_constant_observations=settings.slow_time_constant_observations,
        min_shift_sigma=settings.min_shift_sigma,
        trained_from=batch.times[0],
        trained_until=batch.times[-1],
        observations=len(batch),
        library_versions=dict(library_versions or {}),
        restart_gap_observations=settings.restart_gap_observations,
        settle_observations=settings.settle_observations,
        min_regime_observations=settings.min_regime_observations,
    )


def _only_scored(regime: RegimeNormal, signals: tuple[str, ...]) -> RegimeNormal:
    return RegimeNormal(
        regime.regime, regime.observations, tuple(s for s in regime.signals if s.signal in signals)
    )


def _fill_gaps(batch: ObservationBatch) -> ObservationBatch:
    values = batch.values.copy()
    medians = np.nanmedian(values, axis=0)
    gaps = np.isnan(values)
    values[gaps] = np.take(medians, np.nonzero(gaps)[1])
    return ObservationBatch(batch.signals, batch.times, values, batch.regimes)


def first_and_last(times: Sequence[datetime]) -> tuple[datetime, datetime]:
    return times[0], times[-1]
