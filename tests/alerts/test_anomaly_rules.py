"""The sustained-anomaly rule: spikes stay quiet, sustained rises alert, recovery has hysteresis.

Scores are on the calibrated 0..1 scale (0.5 is the alarm threshold) and runs are
counted in observations: ten to raise, ten calm ones to clear.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.anomaly_rules import (
    CloseAlert,
    NoChange,
    RaiseAlert,
    SustainedAnomalyRule,
    UpdateAlert,
    alert_message,
    assess_open,
    assess_quiet,
)
from models.plant import Severity
from tests.alerts.factories import FRIDAY_0800, HEALTHY, score_series

RULE = SustainedAnomalyRule()
RAISE_AFTER = RULE.raise_after


def at(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def test_a_single_spike_does_not_alert() -> None:
    normal = score_series(windows=6, score=0.1, deviations=HEALTHY)
    spike = score_series(start=FRIDAY_0800 + at(30), windows=1, score=0.98)
    after = score_series(start=FRIDAY_0800 + at(35), windows=2, score=0.2, deviations=HEALTHY)

    assert assess_quiet([*normal, *spike, *after], RULE) == NoChange()


def test_a_spike_in_the_latest_window_does_not_alert_either() -> None:
    normal = score_series(windows=6, score=0.1, deviations=HEALTHY)
    spike = score_series(start=FRIDAY_0800 + at(30), windows=1, score=0.98)

    assert assess_quiet([*normal, *spike], RULE) == NoChange()


def test_the_rule_raises_after_ten_observations() -> None:
    assert RAISE_AFTER == 10


def test_an_anomaly_of_fewer_than_raise_after_observations_does_not_alert() -> None:
    run = score_series(windows=RAISE_AFTER - 1, score=0.8)

    assert assess_quiet(run, RULE) == NoChange()


def test_exactly_raise_after_observations_at_the_threshold_alert() -> None:
    run = score_series(windows=RAISE_AFTER, score=0.5)

    assert isinstance(assess_quiet(run, RULE), RaiseAlert)


def test_a_run_just_below_the_threshold_does_not_alert() -> None:
    assert assess_quiet(score_series(windows=20, score=0.49), RULE) == NoChange()


def test_a_sustained_rise_alerts_with_the_signals_that_drove_it() -> None:
    normal = score_series(windows=4, score=0.1, deviations=HEALTHY)
    rising = score_series(start=FRIDAY_0800 + at(20), windows=RAISE_AFTER, score=0.7)

    decision = assess_quiet([*rising, *normal], RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.signals == ("vibration_rms", "bearing_temp")
    assert decision.episode.severity is Severity.GENERAL
    # Timed at the end of their observations: the first anomalous one ended at 08:25,
    # the tenth at 09:10.
    assert decision.episode.started_at == FRIDAY_0800 + at(25)
    assert decision.episode.last_seen_at == FRIDAY_0800 + at(70)
    assert decision.episode.windows == RAISE_AFTER


def test_a_score_far_above_threshold_is_serious() -> None:
    decision = assess_quiet(score_series(windows=RAISE_AFTER, score=0.95), RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.severity is Severity.SERIOUS


def test_one_spike_inside_a_sustained_run_does_not_make_it_serious() -> None:
    run = score_series(windows=RAISE_AFTER, score=0.7)
    spike = score_series(start=FRIDAY_0800 + RAISE_AFTER * at(5), windows=1, score=0.99)

    decision = assess_quiet([*run, *spike], RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.severity is Severity.GENERAL
    assert decision.episode.peak_score == 0.99


def test_a_gap_within_max_gap_factor_of_the_spacing_does_not_break_a_run() -> None:
    # Observations every 5 min; one 15 min gap is max_gap_factor (3) spacings. Five
    # observations either side make a run of ten.
    before = score_series(windows=5, score=0.7)
    after_gap = score_series(start=FRIDAY_0800 + at(35), windows=5, score=0.7)
    assert after_gap[0].time - before[-1].time == at(15)

    assert isinstance(assess_quiet([*before, *after_gap], RULE), RaiseAlert)


def test_a_longer_gap_breaks_a_run() -> None:
    before = score_series(windows=5, score=0.7)
    after_gap = score_series(start=FRIDAY_0800 + at(40), windows=5, score=0.7)
    assert after_gap[0].time - before[-1].time == at(20)

    assert assess_quiet([*before, *after_gap], RULE) == NoChange()


def test_a_falling_signal_is_named_with_its_sign() -> None:
    stalling = {"motor_current": -3.5, "vibration_rms": 0.2}

    decision = assess_quiet(score_series(windows=RAISE_AFTER, score=0.7, deviations=stalling), RULE)

    assert isinstance(decision, RaiseAlert)
    assert [(d.signal, d.deviation) for d in decision.episode.drivers] == [("motor_current", -3.5)]


def test_a_score_between_the_thresholds_does_not_open_an_alert() -> None:
    assert assess_quiet(score_series(windows=8, score=0.45), RULE) == NoChange()


def test_a_score_between_the_thresholds_keeps_an_open_alert_open() -> None:
    anomaly = score_series(windows=3, score=0.7)
    easing = score_series(start=FRIDAY_0800 + at(15), windows=12, score=0.45)

    decision = assess_open([*anomaly, *easing], RULE, open_since=FRIDAY_0800)

    assert isinstance(decision, UpdateAlert)
    assert decision.episode.last_seen_at == FRIDAY_0800 + at(75)
    assert decision.episode.peak_score == 0.7


def test_an_open_alert_closes_once_the_score_stays_low() -> None:
    anomaly = score_series(windows=3, score=0.7)
    calm = score_series(start=FRIDAY_0800 + at(15), windows=10, score=0.3, deviations=HEALTHY)

    decision = assess_open([*anomaly, *calm], RULE, open_since=FRIDAY_0800)

    # The first calm observation ended at 08:20.
    assert decision == CloseAlert(calm_since=FRIDAY_0800 + at(20))


def test_a_short_calm_does_not_close_an_open_alert() -> None:
    anomaly = score_series(windows=3, score=0.7)
    calm = score_series(start=FRIDAY_0800 + at(15), windows=9, score=0.3, deviations=HEALTHY)

    decision = assess_open([*anomaly, *calm], RULE, open_since=FRIDAY_0800)

    assert isinstance(decision, UpdateAlert)


def test_an_open_alert_without_new_scores_is_left_alone() -> None:
    assert assess_open([], RULE, open_since=FRIDAY_0800) == NoChange()


def test_thresholds_and_durations_are_parameters() -> None:
    sensitive = SustainedAnomalyRule(threshold=0.3, clear_below=0.2, raise_after=1)

    decision = assess_quiet(score_series(windows=1, score=0.35), sensitive)

    assert isinstance(decision, RaiseAlert)
    assert assess_quiet(score_series(windows=1, score=0.35), RULE) == NoChange()


def test_a_minimum_duration_holds_back_a_run_of_enough_observations() -> None:
    patient = SustainedAnomalyRule(min_duration=at(60))

    # Ten observations 5 min apart span 45 min; thirteen span an hour.
    assert assess_quiet(score_series(windows=RAISE_AFTER, score=0.7), patient) == NoChange()
    assert isinstance(assess_quiet(score_series(windows=13, score=0.7), patient), RaiseAlert)


def test_the_alert_message_says_how_long_how_high_and_which_signals() -> None:
    decision = assess_quiet(score_series(windows=12, score=0.7), RULE)

    assert isinstance(decision, RaiseAlert)
    assert alert_message(decision.episode, RULE) == (
        "Anomaly score at or above 0.5 for 12 observations over 55 min (peak 0.70, median"
        " 0.70); driving signals: vibration_rms, bearing_temp"
    )


def test_a_clear_threshold_above_the_alert_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="clear_below"):
        SustainedAnomalyRule(threshold=0.5, clear_below=0.6)


@pytest.mark.parametrize("threshold", [1.0, 3.0])
def test_a_threshold_off_the_0_to_1_scale_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold < 1"):
        SustainedAnomalyRule(threshold=threshold, clear_below=0.4)


def test_a_history_too_short_for_the_clearing_run_is_refused() -> None:
    with pytest.raises(ValueError, match="history_observations"):
        SustainedAnomalyRule(clear_after=10, history_observations=10)
