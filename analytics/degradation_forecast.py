"""Degradation and remaining time: trends toward limits and sudden shifts. Pure.

The anomaly score follows slow healthy drift on purpose; wear that creeps up
over days is what this module watches, against the model's fixed training
normal:

- the **health index** is the smoothed distance of the latest observations from
  the training center, on the score's 0..1 scale, without any drift following;
- each scored signal's **trend** is a Theil-Sen line over the recent
  observations (robust to outliers, with a 90 % interval of its slope). When the
  whole interval points toward the signal's limit, the time to reach it is
  forecast with an interval; otherwise no forecast is made;
- a forecast is made only for a signal whose level has already left its normal
  band by ``onset_sigma`` toward the limit: within the band, a trend over a few
  hundred autocorrelated observations is too easily noise;
- a signal's **limit** is the plant file's ``limit`` (or ``lower_limit`` for a
  falling signal), else its training center plus (or minus) ``default_limit_sigma``
  of its normal spread;
- **change points** are found with ruptures (PELT, least squares) on the
  normalised observations; the latest shift of at least ``min_shift_sigma`` is
  reported, since a sudden shift is a fault event rather than wear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import ruptures
from scipy import stats

from analytics.condition_observations import FloatArray, ObservationBatch, pick
from analytics.condition_smoothing import rolling_mean
from analytics.condition_training import normalise
from models.condition_forecast import HealthForecast, SignalForecast
from models.condition_model import ANY_REGIME, ConditionModel, RegimeNormal, SignalDirection


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    # The trend is fitted over at most this many latest observations, and needs at least min.
    trend_observations: int = 240
    min_trend_observations: int = 30
    default_limit_sigma: float = 6.0
    # A signal is forecast only once its level has left its normal band by this many
    # sigmas toward the limit: a trend inside the band is noise, not wear.
    onset_sigma: float = 3.0
    # Confidence of the slope interval (Theil-Sen).
    confidence: float = 0.90
    min_shift_sigma: float = 1.0
    # PELT penalty per signal, times log(n): high enough that noise makes no change points.
    change_penalty: float = 6.0
    # A new outlook at most this often (plant time): it moves on the scale of hours, and
    # fitting it after every few seconds of observations would hold up the alert job.
    refresh_every_s: float = 300.0


@dataclass(frozen=True, slots=True)
class SignalLimits:
    """Plant-file limits of a signal, in its units; None where not set."""

    upper: float | None = None
    lower: float | None = None
    unit: str = ""


def _health_index(model: ConditionModel, normalised: FloatArray) -> float:
    smoothed = rolling_mean(normalised, normalised[:0], model.smoothing_observations)[-1]
    residual = smoothed - np.asarray(model.location)
    d = float(residual @ np.asarray(model.precision) @ residual)
    return d / (d + model.calibration.limit)


def _limit(
    normal_center: float, normal_scale: float, rising: bool, limits: SignalLimits, sigma: float
) -> float:
    configured = limits.upper if rising else limits.lower
    if configured is not None:
        return configured
    return normal_center + (sigma if rising else -sigma) * normal_scale


def _signal_forecast(
    hours: FloatArray,
    values: FloatArray,
    *,
    signal: str,
    direction: SignalDirection,
    center: float,
    scale: float,
    limits: SignalLimits,
    settings: ForecastSettings,
) -> SignalForecast:
    slope, intercept, low_slope, high_slope = stats.theilslopes(
        values, hours, alpha=settings.confidence
    )
    level = float(intercept + slope * hours[-1])
    rising = (
        bool(slope >= 0) if direction is SignalDirection.BOTH else direction is SignalDirection.UP
    )
    limit = _limit(center, scale, rising, limits, settings.default_limit_sigma)
    remaining = (limit - level) if rising else (level - limit)
    toward_low, toward_high = (low_slope, high_slope) if rising else (-high_slope, -low_slope)
    eta = low = high = None
    departed = (level - center) / scale * (1 if rising else -1)
    if departed < settings.onset_sigma:
        pass
    elif remaining <= 0:
        eta = low = high = 0.0
    elif toward_low > 0:
        eta = float(remaining / abs(slope))
        # Each slope bound pivots about the middle of the data, where the level is known
        # best (the intercept's median), not about the latest level: that level moves
        # with the slope, and bounds about it cover the true time far less than 90 %.
        middle = float(np.median(hours))
        lag = float(hours[-1]) - middle
        ahead = remaining + abs(slope) * lag
        low = max(0.0, float(ahead / toward_high - lag))
        high = float(ahead / toward_low - lag)
    return SignalForecast(
        signal=signal,
        unit=limits.unit,
        level=level,
        limit=float(limit),
        rising=rising,
        slope_per_hour=float(slope),
        hours_to_limit=eta,
        hours_low=low,
        hours_high=high,
    )


def latest_change(
    batch: ObservationBatch, normalised: FloatArray, settings: ForecastSettings
) -> datetime | None:
    """The start of the latest sudden shift of at least ``min_shift_sigma``, if any."""
    rows = normalised.shape[0]
    if rows < 2 * settings.min_trend_observations:
        return None
    min_size = max(5, rows // 20)
    penalty = settings.change_penalty * normalised.shape[1] * np.log(rows)
    breaks = ruptures.Pelt(model="l2", min_size=min_size).fit(normalised).predict(pen=penalty)
    for cut in reversed([b for b in breaks if b < rows]):
        before = normalised[max(0, cut - min_size) : cut].mean(axis=0)
        after = normalised[cut : cut + min_size].mean(axis=0)
        if np.max(np.abs(after - before)) >= settings.min_shift_sigma:
            shifted: datetime = batch.times[cut]
            return shifted
    return None


def forecast_health(
    model: ConditionModel,
    batch: ObservationBatch,
    *,
    limits: Mapping[str, SignalLimits],
    settings: ForecastSettings,
    learned_regimes: Sequence[RegimeNormal] = (),
) -> HealthForecast | None:
    """The outlook from the latest observations; None with too few of them.

    ``learned_regimes`` are the regimes the scorer learned since training. The
    trend is fitted after the latest sudden shift only: a step is a fault event,
    and a line across it would read as wear heading for the limit.
    """
    ordered = batch.select(model.signals)
    ordered = ordered.slice(max(0, len(ordered) - settings.trend_observations), len(ordered))
    complete = np.logical_not(np.isnan(ordered.values).any(axis=1)).tolist()
    present = [bool(v) for v in complete]
    if sum(present) < settings.min_trend_observations:
        return None
    kept = pick(ordered, present)
    normalised = normalise(kept, (*model.regimes, *learned_regimes))
    change_at = latest_change(kept, normalised, settings)
    since_change = kept.times.index(change_at) if change_at is not None else 0
    # Right after a shift there is too little to fit a trend on: no forecast yet.
    enough = len(kept) - since_change >= settings.min_trend_observations
    trend_rows = slice(since_change, len(kept))
    start = kept.times[0]
    hours = np.asarray([(t - start).total_seconds() / 3600 for t in kept.times])
    overall = model.regime(ANY_REGIME)
    forecasts = tuple(
        _signal_forecast(
            hours[trend_rows],
            # Trends in regime-normalised units mapped back to the overall scale, so that
            # a product change is not read as wear.
            normalised[trend_rows, j] * overall.signals[j].scale + overall.signals[j].center,
            signal=signal,
            direction=model.directions[j],
            center=overall.signals[j].center,
            scale=overall.signals[j].scale,
            limits=limits.get(signal, SignalLimits()),
            settings=settings,
        )
        for j, signal in enumerate(model.signals)
        if enough
    )
    return HealthForecast(
        machine_id=model.machine_id,
        computed_at=kept.times[-1],
        health_index=_health_index(model, normalised),
        signals=forecasts,
        change_at=change_at,
        observations=len(kept),
    )


def warning_due(forecast: HealthForecast, horizon_hours: float) -> bool:
    """Whether a signal will reach its limit within the horizon, even at its slowest."""
    soonest = forecast.soonest()
    return (
        soonest is not None
        and soonest.hours_high is not None
        and (soonest.hours_high <= horizon_hours)
    )
