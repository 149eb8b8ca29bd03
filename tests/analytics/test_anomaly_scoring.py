"""Anomaly baselines and scores on synthetic condition data (seeded noise)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from analytics.anomaly_baseline import (
    MachineBaseline,
    SignalBaseline,
    fit_baseline,
    running_intervals,
    running_time_reached,
)
from analytics.anomaly_scoring import ALERT_THRESHOLD, score_window, score_windows
from models.telemetry_series import ConditionSample, ConditionWindow, SignalMean, StateChange
from tests.analytics.telemetry_factories import (
    EXECUTE,
    NORMAL,
    STOPPED,
    at,
    condition_model,
    condition_samples,
    condition_windows,
    minutes,
)

WINDOW = timedelta(minutes=5)


def learned(seed: int) -> MachineBaseline:
    """A baseline fitted on the first 30 minutes of a healthy machine."""
    model = condition_model(np.random.default_rng(seed))
    samples = condition_samples(model, at(6), at(6, 30))
    baseline = fit_baseline(
        "m1", samples, trained_from=at(6), trained_until=at(6, 30), min_samples=20
    )
    assert baseline is not None
    return baseline


def test_baseline_learns_the_normal_level_and_spread_of_each_signal() -> None:
    baseline = learned(seed=1)
    for signal, (level, sigma) in NORMAL.items():
        stats = baseline.of(signal)
        assert stats is not None
        assert stats.center == pytest.approx(level, abs=sigma)
        assert stats.scale == pytest.approx(sigma, rel=0.4)


def test_healthy_machine_scores_stay_low() -> None:
    baseline = learned(seed=2)
    later = condition_samples(condition_model(np.random.default_rng(3)), at(7), at(15))

    scores = score_windows(baseline, condition_windows("m1", later, WINDOW), min_samples=3)

    assert len(scores) == 8 * 12
    assert max(s.score for s in scores) < 1.5
    assert float(np.median([s.score for s in scores])) < 0.5


def test_degrading_bearing_scores_rise_clearly_above_the_threshold() -> None:
    baseline = learned(seed=4)
    wearing = condition_model(np.random.default_rng(5), wear_from=at(8))
    later = condition_samples(wearing, at(7), at(10))

    scores = score_windows(baseline, condition_windows("m1", later, WINDOW), min_samples=3)

    before_wear = [s.score for s in scores if s.time <= at(8)]
    last_half_hour = [s for s in scores if s.time > at(9, 30)]
    assert max(before_wear) < 1.5
    assert all(s.score >= ALERT_THRESHOLD for s in last_half_hour)
    # The technician sees the bearing signals leading, every one of them above normal.
    latest = last_half_hour[-1]
    assert latest.contributions[0].signal in {"vibration_rms", "bearing_temp"}
    assert all(c.deviation > 0 for c in latest.contributions)


def _baseline() -> MachineBaseline:
    return MachineBaseline(
        "m1",
        at(6),
        at(6, 20),
        (
            SignalBaseline("bearing_temp", 45.0, 0.5, 40),
            SignalBaseline("motor_current", 12.0, 0.2, 40),
            SignalBaseline("vibration_rms", 2.0, 0.1, 40),
        ),
    )


def _window(vibration: float, temp: float, current: float, samples: int = 10) -> ConditionWindow:
    return ConditionWindow(
        "m1",
        at(7),
        at(7, 5),
        (
            SignalMean("bearing_temp", temp, samples),
            SignalMean("motor_current", current, samples),
            SignalMean("vibration_rms", vibration, samples),
        ),
    )


def test_one_signal_four_sigma_high_scores_four_and_leads_the_contributions() -> None:
    score = score_window(_baseline(), _window(2.4, 45.0, 12.0), min_samples=3)
    assert score is not None
    assert score.time == at(7, 5)  # a window's score is timed at its end
    assert score.score == pytest.approx(4.0)
    assert score.contributions[0].signal == "vibration_rms"
    assert score.contributions[0].deviation == pytest.approx(4.0)


def test_three_signals_two_sigma_high_reinforce_each_other() -> None:
    score = score_window(_baseline(), _window(2.2, 46.0, 12.4), min_samples=3)
    assert score is not None
    assert score.score == pytest.approx(np.sqrt(3 * 2.0**2))


def test_a_machine_cooler_and_calmer_than_normal_does_not_score() -> None:
    score = score_window(_baseline(), _window(1.7, 41.0, 11.5), min_samples=3)
    assert score is not None
    assert score.score == 0.0
    assert [c.deviation < 0 for c in score.contributions] == [True, True, True]


def test_a_window_with_too_few_samples_is_not_scored() -> None:
    assert score_window(_baseline(), _window(3.0, 50.0, 14.0, samples=2), min_samples=3) is None


def test_a_constant_signal_gets_a_scale_floor_of_one_percent() -> None:
    samples = [ConditionSample(at(6) + minutes(i), "bearing_temp", 45.0) for i in range(30)]
    baseline = fit_baseline(
        "m1", samples, trained_from=at(6), trained_until=at(6, 30), min_samples=20
    )
    assert baseline is not None
    assert baseline.signals == (SignalBaseline("bearing_temp", 45.0, 0.45, 30),)


def test_baseline_waits_for_enough_running_time() -> None:
    changes = [
        StateChange(at(6), EXECUTE),
        StateChange(at(6, 10), STOPPED),
        StateChange(at(6, 20), EXECUTE),
    ]
    spans = running_intervals(changes, {EXECUTE}, until=at(6, 30))
    assert [(s.start, s.end) for s in spans] == [(at(6), at(6, 10)), (at(6, 20), at(6, 30))]
    assert running_time_reached(spans, needed_s=15 * 60) == at(6, 25)
    assert running_time_reached(spans, needed_s=25 * 60) is None
    assert running_intervals([], {EXECUTE}, until=at(6, 30)) == []
