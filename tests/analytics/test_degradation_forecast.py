"""The degradation forecast: a rise past the onset band gives a time to its limit with an
interval, noise gives none, plant-file limits count, and sudden shifts are dated."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from analytics.condition_observations import FloatArray
from analytics.degradation_forecast import ForecastSettings, SignalLimits, forecast_health
from models.condition_forecast import HealthForecast, SignalForecast
from models.condition_model import ConditionModel, SignalDirection
from tests.analytics.condition_factories import WIDTH, batch, healthy, trained

SETTINGS = ForecastSettings()
# Normal level and spread of vibration_rms (mm/s), bearing_temp (degC), motor_current (A).
LEVELS = (2.0, 45.0, 12.0)
SIGMAS = (0.1, 0.5, 0.2)
TRAINING = 200
# The forecast looks at the latest 240 observations, 30 s apart: two hours.
RECENT = SETTINGS.trend_observations
HOURS = (np.arange(RECENT) + 1) * WIDTH.total_seconds() / 3600
BEARING_TEMP, MOTOR_CURRENT = 1, 2


def _model(directions: Mapping[str, SignalDirection] | None = None) -> ConditionModel:
    rng = np.random.default_rng(0)
    return trained(healthy(rng, TRAINING, levels=LEVELS, sigmas=SIGMAS), directions=directions)


def _recent(seed: int = 1) -> FloatArray:
    return healthy(np.random.default_rng(seed), RECENT, levels=LEVELS, sigmas=SIGMAS)


def _drifting(
    signal: int, *, from_sigmas: float, to_sigmas: float, seed: int = 1
) -> tuple[FloatArray, float]:
    """Healthy recent observations with one signal moving linearly from ``from_sigmas`` to
    ``to_sigmas`` of its spread over the two hours; also the slope, in units per hour."""
    values = _recent(seed)
    sigma = SIGMAS[signal]
    ramp = np.linspace(from_sigmas, to_sigmas, RECENT) * sigma
    values[:, signal] += ramp
    slope = (ramp[-1] - ramp[0]) / (HOURS[-1] - HOURS[0])
    return values, float(slope)


def _forecast(
    model: ConditionModel,
    values: FloatArray,
    limits: Mapping[str, SignalLimits] | None = None,
) -> HealthForecast:
    outlook = forecast_health(
        model, batch(values, start=TRAINING), limits=limits or {}, settings=SETTINGS
    )
    assert outlook is not None
    return outlook


def _true_hours(level_now: float, limit: float, slope: float) -> float:
    return (limit - level_now) / slope


def _signal(forecast: HealthForecast, name: str) -> SignalForecast:
    (found,) = [s for s in forecast.signals if s.signal == name]
    return found


def _assert_within_interval(found: SignalForecast, true_hours: float) -> None:
    assert found.hours_to_limit is not None
    assert found.hours_low is not None and found.hours_high is not None
    assert found.hours_low <= true_hours <= found.hours_high
    assert found.hours_low <= found.hours_to_limit <= found.hours_high


def test_a_linear_rise_past_the_onset_band_gives_a_time_to_limit_around_the_true_one() -> None:
    # bearing_temp climbs from 1 to 4 sigmas over two hours (0.75 degC/h): past the onset
    # band of 3 sigmas, heading for the default limit of 6 sigmas.
    model = _model()
    values, slope = _drifting(BEARING_TEMP, from_sigmas=1.0, to_sigmas=4.0)

    forecast = _forecast(model, values)

    bearing = _signal(forecast, "bearing_temp")
    overall = model.regime("*").signals[BEARING_TEMP]
    assert bearing.limit == pytest.approx(overall.center + 6 * overall.scale)
    assert bearing.rising
    assert bearing.slope_per_hour == pytest.approx(slope, rel=0.2)
    level_now = LEVELS[BEARING_TEMP] + 4.0 * SIGMAS[BEARING_TEMP]
    _assert_within_interval(bearing, _true_hours(level_now, bearing.limit, slope))
    assert forecast.soonest() == bearing
    # The other signals stay in their normal band: no forecast for them.
    assert [s.signal for s in forecast.signals if s.hours_to_limit is not None] == ["bearing_temp"]
    assert forecast.health_index > 0.5
    assert forecast.computed_at == batch(values, start=TRAINING).times[-1]
    assert forecast.observations == RECENT


def test_the_interval_holds_the_true_time_about_as_often_as_its_confidence_says() -> None:
    # Forty noisy rises, each 2 sigmas short of the limit at the end. An interval taken
    # about the latest level alone would miss the true time about a third of the time.
    level_now = LEVELS[BEARING_TEMP] + 4.0 * SIGMAS[BEARING_TEMP]
    model = _model()
    held = 0
    for seed in range(40):
        values, slope = _drifting(BEARING_TEMP, from_sigmas=1.0, to_sigmas=4.0, seed=seed)
        bearing = _signal(_forecast(model, values), "bearing_temp")
        assert bearing.hours_low is not None and bearing.hours_high is not None
        true_hours = _true_hours(level_now, bearing.limit, slope)
        held += bearing.hours_low <= true_hours <= bearing.hours_high

    assert held >= 0.8 * 40


def test_a_rise_still_inside_the_normal_band_is_not_forecast() -> None:
    # The same slope, but the level only reaches 2.5 sigmas: within the onset band.
    values, _ = _drifting(BEARING_TEMP, from_sigmas=-0.5, to_sigmas=2.5)

    forecast = _forecast(_model(), values)

    assert _signal(forecast, "bearing_temp").hours_to_limit is None


@pytest.mark.parametrize("seed", range(3))
def test_a_flat_noisy_signal_gives_no_forecast(seed: int) -> None:
    forecast = _forecast(_model(), _recent(seed))

    assert forecast.soonest() is None
    assert all(
        (s.hours_to_limit, s.hours_low, s.hours_high) == (None, None, None)
        for s in forecast.signals
    )
    assert forecast.change_at is None
    assert forecast.health_index < 0.5


def test_a_flat_level_beyond_the_onset_band_is_not_heading_anywhere() -> None:
    # A level 4 sigmas up but steady: out of its band, yet no trend toward the limit.
    values = _recent()
    values[:, BEARING_TEMP] += 4.0 * SIGMAS[BEARING_TEMP]

    forecast = _forecast(_model(), values)

    assert _signal(forecast, "bearing_temp").hours_to_limit is None


def test_the_plant_files_limit_is_used_when_set() -> None:
    values, slope = _drifting(BEARING_TEMP, from_sigmas=1.0, to_sigmas=4.0)
    limits = {"bearing_temp": SignalLimits(upper=47.5, unit="°C")}

    forecast = _forecast(_model(), values, limits)

    bearing = _signal(forecast, "bearing_temp")
    assert (bearing.limit, bearing.unit) == (47.5, "°C")
    level_now = LEVELS[BEARING_TEMP] + 4.0 * SIGMAS[BEARING_TEMP]
    _assert_within_interval(bearing, _true_hours(level_now, 47.5, slope))
    assert bearing.sentence().startswith("bearing_temp reaches its limit 47.5 °C in about ")


def test_a_signal_already_beyond_its_limit_is_due_now() -> None:
    values, _ = _drifting(BEARING_TEMP, from_sigmas=1.0, to_sigmas=4.0)
    limits = {"bearing_temp": SignalLimits(upper=46.5, unit="°C")}

    bearing = _signal(_forecast(_model(), values, limits), "bearing_temp")

    assert (bearing.hours_to_limit, bearing.hours_low, bearing.hours_high) == (0.0, 0.0, 0.0)
    assert bearing.sentence() == "bearing_temp is at or beyond its limit 46.5 °C"


def test_a_step_shift_is_found_as_change_at() -> None:
    # vibration_rms jumps by 3 sigmas 150 observations into the two hours.
    values = _recent()
    values[150:, 0] += 3.0 * SIGMAS[0]
    times = batch(values, start=TRAINING).times

    forecast = _forecast(_model(), values)

    assert forecast.change_at is not None
    assert abs(forecast.change_at - times[150]) <= 2 * WIDTH


def test_a_step_to_a_steady_level_is_not_forecast_as_wear() -> None:
    # vibration_rms jumps by 5 sigmas and stays there: a fault event, not a trend.
    values = _recent()
    values[150:, 0] += 5.0 * SIGMAS[0]

    forecast = _forecast(_model(), values)

    assert forecast.change_at is not None
    assert forecast.soonest() is None


def test_a_falling_signal_watched_for_drops_is_forecast_to_its_lower_limit() -> None:
    # motor_current sags from -1 to -4 sigmas (0.3 A/h) toward the plant file's 10.4 A.
    model = _model(directions={"motor_current": SignalDirection.DOWN})
    values, slope = _drifting(MOTOR_CURRENT, from_sigmas=-1.0, to_sigmas=-4.0)
    limits = {"motor_current": SignalLimits(upper=13.5, lower=10.4, unit="A")}

    current = _signal(_forecast(model, values, limits), "motor_current")

    assert not current.rising
    assert current.limit == 10.4
    assert current.slope_per_hour == pytest.approx(slope, rel=0.2)
    level_now = LEVELS[MOTOR_CURRENT] - 4.0 * SIGMAS[MOTOR_CURRENT]
    _assert_within_interval(current, _true_hours(level_now, 10.4, slope))


def test_a_signal_watched_for_rises_is_not_forecast_to_fall() -> None:
    model = _model(directions={"motor_current": SignalDirection.UP})
    values, _ = _drifting(MOTOR_CURRENT, from_sigmas=-1.0, to_sigmas=-4.0)

    current = _signal(_forecast(model, values), "motor_current")

    assert current.rising
    assert current.hours_to_limit is None


def test_too_few_complete_observations_give_no_forecast() -> None:
    values = _recent()[: SETTINGS.min_trend_observations]
    values[0, 1] = np.nan

    outlook = forecast_health(_model(), batch(values, start=TRAINING), limits={}, settings=SETTINGS)

    assert outlook is None
