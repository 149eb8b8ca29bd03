"""The predicted-limit rule: a forecast that a signal will reach its limit soon. Pure.

An anomaly alert says "something is off now"; this one says "at this rate,
bearing temperature reaches its limit in about 36 h (24 to 50 h)", early enough
to plan the repair. It is raised when even the slowest end of a signal's
forecast interval falls within ``horizon_hours``, and closed once no signal's
slowest end falls within ``clear_factor`` times that (hysteresis) and the health
index is back below the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models.anomaly import SCORE_THRESHOLD
from models.condition_forecast import HealthForecast, SignalForecast
from models.plant import Severity


@dataclass(frozen=True, slots=True)
class PredictedLimitRule:
    name: str = "predicted_limit"
    horizon_hours: float = 48.0
    clear_factor: float = 2.0
    # A limit reached within this many hours, even at the slowest, makes it serious.
    serious_hours: float = 12.0


@dataclass(frozen=True, slots=True)
class RaisePrediction:
    signal: SignalForecast
    severity: Severity


@dataclass(frozen=True, slots=True)
class UpdatePrediction:
    signal: SignalForecast


@dataclass(frozen=True, slots=True)
class ClosePrediction:
    pass


@dataclass(frozen=True, slots=True)
class KeepPrediction:
    pass


def _within(forecast: HealthForecast, hours: float) -> SignalForecast | None:
    due = [
        s
        for s in forecast.signals
        if s.hours_to_limit is not None and s.hours_high is not None and s.hours_high <= hours
    ]
    return min(due, key=lambda s: s.hours_to_limit or 0.0) if due else None


def assess_forecast(
    forecast: HealthForecast, rule: PredictedLimitRule, *, is_open: bool
) -> RaisePrediction | UpdatePrediction | ClosePrediction | KeepPrediction:
    """What to do with the machine's predicted-limit alert given its latest forecast."""
    if not is_open:
        due = _within(forecast, rule.horizon_hours)
        if due is None:
            return KeepPrediction()
        serious = due.hours_high is not None and due.hours_high <= rule.serious_hours
        return RaisePrediction(due, Severity.SERIOUS if serious else Severity.GENERAL)
    still = _within(forecast, rule.horizon_hours * rule.clear_factor)
    if still is not None:
        return UpdatePrediction(still)
    # A machine still beyond its calibrated limit has not recovered, even where a
    # recent shift leaves too little to fit a trend on: the alert stays open.
    if forecast.health_index >= SCORE_THRESHOLD:
        return KeepPrediction()
    return ClosePrediction()


def outlook_text(forecast: HealthForecast, zone: ZoneInfo) -> str:
    """The forecast in one or two sentences, in the site's time, for alert and ticket texts."""
    soonest = forecast.soonest()
    parts = [f"Health index {forecast.health_index:.2f} (0 as trained, 0.5 at the limit)"]
    if soonest is not None:
        parts.append(soonest.sentence())
    if forecast.change_at is not None:
        local = forecast.change_at.astimezone(zone)
        parts.append(f"sudden shift at {local:%Y-%m-%d %H:%M} {local:%Z}")
    return "; ".join(parts) + "."
