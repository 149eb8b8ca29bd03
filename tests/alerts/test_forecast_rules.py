"""The predicted-limit rule: raised when even the slowest end of a forecast falls within the
horizon, serious when that is within hours, closed only well beyond the horizon."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.forecast_rules import (
    ClosePrediction,
    KeepPrediction,
    PredictedLimitRule,
    RaisePrediction,
    UpdatePrediction,
    assess_forecast,
    outlook_text,
)
from models.condition_forecast import HealthForecast, SignalForecast
from models.plant import Severity

RULE = PredictedLimitRule()
BERLIN = ZoneInfo("Europe/Berlin")
COMPUTED_AT = datetime(2026, 1, 9, 8, 0, tzinfo=UTC)


def heading(
    signal: str = "bearing_temp", *, hours: float, low: float, high: float
) -> SignalForecast:
    """A signal rising toward its limit of 68 degC, due in ``hours`` (``low`` to ``high``)."""
    return SignalForecast(
        signal=signal,
        unit="°C",
        level=61.0,
        limit=68.0,
        rising=True,
        slope_per_hour=7.0 / max(hours, 0.1),
        hours_to_limit=hours,
        hours_low=low,
        hours_high=high,
    )


def steady(signal: str = "motor_current") -> SignalForecast:
    return SignalForecast(
        signal=signal,
        unit="A",
        level=12.0,
        limit=13.2,
        rising=True,
        slope_per_hour=0.001,
        hours_to_limit=None,
        hours_low=None,
        hours_high=None,
    )


def outlook(
    *signals: SignalForecast, change_at: datetime | None = None, health_index: float = 0.62
) -> HealthForecast:
    return HealthForecast(
        machine_id="l1-filler",
        computed_at=COMPUTED_AT,
        health_index=health_index,
        signals=signals,
        change_at=change_at,
        observations=240,
    )


def test_a_limit_due_within_the_horizon_even_at_the_slowest_raises_an_alert() -> None:
    due = heading(hours=36.0, low=24.0, high=47.0)

    decision = assess_forecast(outlook(steady(), due), RULE, is_open=False)

    assert decision == RaisePrediction(due, Severity.GENERAL)


def test_a_limit_whose_slowest_end_lies_beyond_the_horizon_raises_nothing() -> None:
    # Likely within two days, but not certainly: the interval reaches past 48 h.
    unsure = heading(hours=36.0, low=24.0, high=50.0)

    assert assess_forecast(outlook(unsure), RULE, is_open=False) == KeepPrediction()


def test_no_signal_heading_for_its_limit_raises_nothing() -> None:
    assert assess_forecast(outlook(steady()), RULE, is_open=False) == KeepPrediction()


def test_a_limit_due_within_serious_hours_is_serious() -> None:
    soon = heading(hours=8.0, low=6.0, high=RULE.serious_hours)

    decision = assess_forecast(outlook(soon), RULE, is_open=False)

    assert decision == RaisePrediction(soon, Severity.SERIOUS)


def test_the_serious_grade_also_goes_by_the_slowest_end() -> None:
    # Due in about 8 h, but perhaps only in 14 h: general.
    soon = heading(hours=8.0, low=6.0, high=14.0)

    decision = assess_forecast(outlook(soon), RULE, is_open=False)

    assert decision == RaisePrediction(soon, Severity.GENERAL)


def test_the_alert_names_the_signal_due_first() -> None:
    later = heading("vibration_rms", hours=40.0, low=30.0, high=46.0)
    sooner = heading("bearing_temp", hours=20.0, low=15.0, high=30.0)

    decision = assess_forecast(outlook(later, sooner), RULE, is_open=False)

    assert isinstance(decision, RaisePrediction)
    assert decision.signal == sooner


def test_a_horizon_below_zero_never_raises() -> None:
    # hours_high is never negative: even a limit reached already does not raise.
    disabled = PredictedLimitRule(horizon_hours=-1.0)
    reached = heading(hours=0.0, low=0.0, high=0.0)

    assert assess_forecast(outlook(reached), disabled, is_open=False) == KeepPrediction()


@pytest.mark.parametrize("high", [50.0, 95.0, RULE.clear_factor * RULE.horizon_hours])
def test_an_open_alert_stays_open_within_clear_factor_times_the_horizon(high: float) -> None:
    # Past the 48 h horizon, so it would not be raised now, but within 2 x 48 h.
    slower = heading(hours=60.0, low=40.0, high=high)

    decision = assess_forecast(outlook(slower), RULE, is_open=True)

    assert decision == UpdatePrediction(slower)


def test_an_open_alert_closes_once_the_slowest_end_is_beyond_clear_factor_times_the_horizon() -> (
    None
):
    receded = heading(hours=70.0, low=50.0, high=97.0)

    decision = assess_forecast(outlook(receded, health_index=0.3), RULE, is_open=True)

    assert decision == ClosePrediction()


def test_an_open_alert_closes_when_no_signal_heads_for_its_limit() -> None:
    decision = assess_forecast(outlook(steady(), health_index=0.3), RULE, is_open=True)

    assert decision == ClosePrediction()


def test_an_open_alert_stays_open_while_the_machine_is_beyond_its_limit() -> None:
    # Right after a sudden shift there is too little to fit a trend on: no forecast,
    # but the machine has not recovered.
    decision = assess_forecast(outlook(steady(), health_index=0.9), RULE, is_open=True)

    assert decision == KeepPrediction()


def test_the_outlook_mentions_the_soonest_signals_sentence() -> None:
    due = heading(hours=36.0, low=24.0, high=47.0)
    forecast = outlook(steady(), heading("vibration_rms", hours=60, low=50, high=80), due)

    text = outlook_text(forecast, BERLIN)

    sentence = due.sentence()
    assert sentence.startswith("bearing_temp reaches its limit 68 °C in about 36 h")
    assert "24 h" in sentence and "47 h" in sentence
    assert text == f"Health index 0.62 (0 as trained, 0.5 at the limit); {sentence}."


def test_the_outlook_gives_long_times_in_days_and_a_sudden_shift_in_the_sites_time() -> None:
    due = heading(hours=60.0, low=50.0, high=80.0)
    shifted = outlook(due, change_at=datetime(2026, 1, 9, 6, 30, tzinfo=UTC))

    text = outlook_text(shifted, BERLIN)

    assert due.sentence() in text
    assert "in about 2.5 days" in text and "3.3 days" in text
    assert text.endswith("sudden shift at 2026-01-09 07:30 CET.")


def test_the_outlook_without_a_trend_says_only_the_health_index() -> None:
    assert outlook_text(outlook(steady()), BERLIN) == (
        "Health index 0.62 (0 as trained, 0.5 at the limit)."
    )
