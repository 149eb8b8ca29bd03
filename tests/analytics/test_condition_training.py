"""Training a condition model: how each signal's scale is chosen, constant signals, and
an alarm limit that healthy data seldom reaches."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.condition_scoring import initial_state, score_batch
from analytics.condition_training import (
    DetectorSettings,
    TrainingError,
    fit_condition_model,
    signal_normal,
)
from models.anomaly import SCORE_THRESHOLD
from models.condition_model import ScaleBasis
from tests.analytics.condition_factories import (
    FAST,
    SIGNALS,
    WIDTH,
    batch,
    healthy,
    trained,
    with_stop,
)


def test_a_noisy_signal_is_scaled_by_its_robust_spread() -> None:
    values = np.random.default_rng(0).normal(45.0, 0.5, 2000)

    normal = signal_normal("bearing_temp", values)

    assert normal.basis is ScaleBasis.SPREAD
    assert normal.center == pytest.approx(45.0, abs=0.05)
    assert normal.scale == pytest.approx(0.5, rel=0.1)
    assert normal.samples == 2000


def test_one_outlier_barely_moves_the_spread() -> None:
    values = np.random.default_rng(1).normal(0.0, 1.0, 500)
    with_outlier = np.append(values, 1000.0)

    assert signal_normal("s", with_outlier).scale == pytest.approx(
        signal_normal("s", values).scale, rel=0.05
    )


def test_a_coarsely_quantised_signal_is_scaled_by_its_resolution() -> None:
    # Mostly 20.0, now and then one step of 0.5 either side: the spread is far below a step.
    values = np.full(200, 20.0)
    values[::50] = 20.5
    values[25::50] = 19.5

    normal = signal_normal("oil_level", values)

    assert normal.basis is ScaleBasis.RESOLUTION
    assert normal.scale == normal.resolution == pytest.approx(0.5)
    assert normal.center == 20.0


def test_a_constant_signal_has_no_spread() -> None:
    normal = signal_normal("setpoint", np.full(50, 7.0))

    assert (normal.basis, normal.center, normal.resolution) == (ScaleBasis.CONSTANT, 7.0, 0.0)


def test_a_constant_signal_is_left_out_of_the_score_and_listed() -> None:
    rng = np.random.default_rng(2)
    values = healthy(rng, 60)
    values[:, 2] = 12.0

    model = trained(values)

    assert model.signals == SIGNALS[:2]
    assert [(n.signal, n.basis) for n in model.constant] == [("motor_current", ScaleBasis.CONSTANT)]
    assert len(model.location) == len(model.precision) == len(model.slow) == 2
    assert all(len(row) == 2 for row in model.precision)


def test_a_model_of_only_constant_signals_is_refused() -> None:
    with pytest.raises(TrainingError, match="constant"):
        trained(np.ones((60, 3)))


def test_too_short_a_stretch_is_refused_with_what_training_needs() -> None:
    needed = FAST.observations_needed(3)
    assert needed == 30  # ten per signal beats min_observations (20) and 4 x smoothing (20)
    # The first observations of a machine's data are warm-up and not trained on.
    stretch = needed + FAST.settle_observations

    with pytest.raises(TrainingError, match=f"{needed - 1} observations; training needs {needed}"):
        trained(healthy(np.random.default_rng(3), needed - 1))
    with pytest.raises(
        TrainingError,
        match=f"{needed - 1} observations past warm-up after restarts; training needs {needed}",
    ):
        trained(healthy(np.random.default_rng(3), stretch - 1))
    assert trained(healthy(np.random.default_rng(3), stretch)).observations == needed


def test_a_stretch_that_is_all_warm_up_is_refused_with_what_training_needs() -> None:
    # Thirty observations, as many as training needs, all of them the default warm-up
    # after the first sample.
    settings = DetectorSettings(smoothing_observations=5, min_observations=20)
    needed = settings.observations_needed(3)
    assert needed == settings.settle_observations == 30

    with pytest.raises(TrainingError, match=f"^0 observations past warm-up .* needs {needed}$"):
        trained(healthy(np.random.default_rng(3), needed), settings=settings)


def test_a_long_stop_in_the_training_stretch_is_followed_by_warm_up_not_trained_on() -> None:
    # 60 observations, a stop of 20 widths (a restart: over 10), then 40 more.
    values = healthy(np.random.default_rng(6), 100)
    observations = with_stop(values, before=60, missing=20)

    model = fit_condition_model(
        "l1-filler",
        observations,
        directions={},
        settings=FAST,
        observation_width_s=WIDTH.total_seconds(),
    )

    assert model.observations == 100 - 2 * FAST.settle_observations
    assert model.trained_from == observations.times[FAST.settle_observations]


def test_a_short_stop_in_the_training_stretch_costs_no_warm_up() -> None:
    values = healthy(np.random.default_rng(6), 100)
    observations = with_stop(values, before=60, missing=5)

    model = fit_condition_model(
        "l1-filler",
        observations,
        directions={},
        settings=FAST,
        observation_width_s=WIDTH.total_seconds(),
    )

    assert model.observations == 100 - FAST.settle_observations


def test_the_default_settings_need_four_smoothing_windows() -> None:
    assert DetectorSettings().observations_needed(3) == 120
    assert DetectorSettings().observations_needed(20) == 200


def test_a_signal_missing_from_most_observations_is_left_out() -> None:
    values = healthy(np.random.default_rng(4), 60)
    values[:40, 1] = np.nan

    model = trained(values)

    assert "bearing_temp" not in model.signals
    assert model.signals == ("vibration_rms", "motor_current")


def test_the_model_records_its_training_stretch_and_settings() -> None:
    values = healthy(np.random.default_rng(5), 60)
    observations = batch(values)

    model = trained(values)

    # Trained from the first observation past the warm-up after the first sample.
    assert (model.trained_from, model.trained_until) == (
        observations.times[FAST.settle_observations],
        observations.times[-1],
    )
    assert model.observations == 60 - FAST.settle_observations
    assert (model.settle_observations, model.restart_gap_observations) == (
        FAST.settle_observations,
        FAST.restart_gap_observations,
    )
    assert model.smoothing_observations == FAST.smoothing_observations
    assert model.calibration.false_alarm_probability == FAST.false_alarm_probability
    assert model.calibration.limit > 0


@pytest.mark.parametrize("seed", range(5))
def test_fresh_healthy_data_seldom_reaches_the_calibrated_limit(seed: int) -> None:
    # Default settings; a long healthy stretch from the same distribution as training.
    rng = np.random.default_rng(seed)
    model = trained(healthy(rng, 600), settings=DetectorSettings())

    scores, _ = score_batch(model, initial_state(model), batch(healthy(rng, 2000), start=600))

    exceeding = np.mean([s.score >= SCORE_THRESHOLD for s in scores])
    assert exceeding < 0.02
    assert model.calibration.training_exceedance < 0.02
