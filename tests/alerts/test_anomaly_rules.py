"""The sustained-anomaly rule: spikes stay quiet, sustained rises alert, recovery has hysteresis."""

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


def at(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def test_a_single_spike_does_not_alert() -> None:
    normal = score_series(windows=6, score=0.4, deviations=HEALTHY)
    spike = score_series(start=FRIDAY_0800 + at(30), windows=1, score=12.0)
    after = score_series(start=FRIDAY_0800 + at(35), windows=2, score=0.5, deviations=HEALTHY)

    assert assess_quiet([*normal, *spike, *after], RULE) == NoChange()


def test_a_spike_in_the_latest_window_does_not_alert_either() -> None:
    normal = score_series(windows=6, score=0.4, deviations=HEALTHY)
    spike = score_series(start=FRIDAY_0800 + at(30), windows=1, score=12.0)

    assert assess_quiet([*normal, *spike], RULE) == NoChange()


def test_an_anomaly_shorter_than_the_minimum_duration_does_not_alert() -> None:
    assert assess_quiet(score_series(windows=2, score=4.0), RULE) == NoChange()


def test_a_sustained_rise_alerts_with_the_signals_that_drove_it() -> None:
    normal = score_series(windows=4, score=0.4, deviations=HEALTHY)
    rising = score_series(start=FRIDAY_0800 + at(20), windows=3, score=4.0)

    decision = assess_quiet([*rising, *normal], RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.signals == ("vibration_rms", "bearing_temp")
    assert decision.episode.severity is Severity.GENERAL
    assert decision.episode.started_at == FRIDAY_0800 + at(20)
    assert decision.episode.last_seen_at == FRIDAY_0800 + at(35)


def test_a_score_far_above_threshold_is_serious() -> None:
    decision = assess_quiet(score_series(windows=3, score=9.5), RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.severity is Severity.SERIOUS


def test_one_spike_inside_a_sustained_run_does_not_make_it_serious() -> None:
    run = score_series(windows=3, score=4.0)
    spike = score_series(start=FRIDAY_0800 + at(15), windows=1, score=30.0)

    decision = assess_quiet([*run, *spike], RULE)

    assert isinstance(decision, RaiseAlert)
    assert decision.episode.severity is Severity.GENERAL
    assert decision.episode.peak_score == 30.0


def test_one_missing_window_does_not_break_a_run() -> None:
    before = score_series(windows=2, score=4.0)
    after_gap = score_series(start=FRIDAY_0800 + at(15), windows=1, score=4.0)

    assert isinstance(assess_quiet([*before, *after_gap], RULE), RaiseAlert)


def test_a_longer_gap_breaks_a_run() -> None:
    before = score_series(windows=2, score=4.0)
    after_gap = score_series(start=FRIDAY_0800 + at(20), windows=2, score=4.0)

    assert assess_quiet([*before, *after_gap], RULE) == NoChange()


def test_a_falling_signal_is_named_with_its_sign() -> None:
    stalling = {"motor_current": -3.5, "vibration_rms": 0.2}

    decision = assess_quiet(score_series(windows=3, score=4.0, deviations=stalling), RULE)

    assert isinstance(decision, RaiseAlert)
    assert [(d.signal, d.deviation) for d in decision.episode.drivers] == [("motor_current", -3.5)]


def test_a_score_between_the_thresholds_does_not_open_an_alert() -> None:
    assert assess_quiet(score_series(windows=8, score=2.5), RULE) == NoChange()


def test_a_score_between_the_thresholds_keeps_an_open_alert_open() -> None:
    anomaly = score_series(windows=3, score=4.0)
    easing = score_series(start=FRIDAY_0800 + at(15), windows=6, score=2.0)

    decision = assess_open([*anomaly, *easing], RULE, open_since=FRIDAY_0800)

    assert isinstance(decision, UpdateAlert)
    assert decision.episode.last_seen_at == FRIDAY_0800 + at(45)
    assert decision.episode.peak_score == 4.0


def test_an_open_alert_closes_once_the_score_stays_low() -> None:
    anomaly = score_series(windows=3, score=4.0)
    calm = score_series(start=FRIDAY_0800 + at(15), windows=3, score=0.5, deviations=HEALTHY)

    decision = assess_open([*anomaly, *calm], RULE, open_since=FRIDAY_0800)

    assert decision == CloseAlert(calm_since=FRIDAY_0800 + at(15))


def test_a_short_calm_does_not_close_an_open_alert() -> None:
    anomaly = score_series(windows=3, score=4.0)
    calm = score_series(start=FRIDAY_0800 + at(15), windows=2, score=0.5, deviations=HEALTHY)

    decision = assess_open([*anomaly, *calm], RULE, open_since=FRIDAY_0800)

    assert isinstance(decision, UpdateAlert)


def test_an_open_alert_without_new_scores_is_left_alone() -> None:
    assert assess_open([], RULE, open_since=FRIDAY_0800) == NoChange()


def test_thresholds_and_durations_are_parameters() -> None:
    sensitive = SustainedAnomalyRule(
        threshold=2.0, clear_below=1.0, min_duration=at(5), min_windows=1
    )

    decision = assess_quiet(score_series(windows=1, score=2.5), sensitive)

    assert isinstance(decision, RaiseAlert)


def test_the_alert_message_says_how_long_how_high_and_which_signals() -> None:
    decision = assess_quiet(score_series(windows=4, score=4.0), RULE)

    assert isinstance(decision, RaiseAlert)
    assert alert_message(decision.episode, RULE) == (
        "Anomaly score at or above 3 for 20 min (peak 4.0, median 4.0); "
        "driving signals: vibration_rms, bearing_temp"
    )


def test_a_clear_threshold_above_the_alert_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="clear_below"):
        SustainedAnomalyRule(threshold=3.0, clear_below=4.0)
