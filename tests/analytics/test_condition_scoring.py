"""The streaming scorer: steps in either direction alarm, direction settings gate them,
contributions explain the score, and batches carry their state."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pytest

from analytics.condition_observations import FloatArray, ObservationBatch
from analytics.condition_scoring import initial_state, score_batch
from analytics.condition_training import DetectorSettings
from models.anomaly import SCORE_THRESHOLD, AnomalyScore
from models.condition_model import ConditionModel, SignalDirection
from tests.analytics.condition_factories import (
    FAST,
    SIGNALS,
    batch,
    healthy,
    trained,
    with_stop,
)

TRAINING = 200
# Four sigmas of one signal: far beyond the healthy smoothed spread.
STEP = 4.0


def _model(
    seed: int = 0,
    *,
    settings: DetectorSettings = FAST,
    directions: Mapping[str, SignalDirection] | None = None,
) -> tuple[ConditionModel, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return trained(healthy(rng, TRAINING), settings=settings, directions=directions), rng


def _scores(model: ConditionModel, values: FloatArray) -> list[AnomalyScore]:
    scores, _ = score_batch(model, initial_state(model), batch(values, start=TRAINING))
    return scores


def _stepped(rng: np.random.Generator, step: float, *, signal: int = 1) -> FloatArray:
    """50 healthy observations, then 50 with one signal moved by ``step`` sigmas."""
    values = healthy(rng, 100)
    values[50:, signal] += step
    return values


@pytest.mark.parametrize("step", [STEP, -STEP])
def test_a_step_rise_or_drop_of_one_signal_raises_the_score(step: float) -> None:
    model, rng = _model()

    scores = _scores(model, _stepped(rng, step))

    assert max(s.score for s in scores[:50]) < SCORE_THRESHOLD
    # Once the smoothing window holds only stepped observations.
    assert min(s.score for s in scores[50 + FAST.smoothing_observations :]) > SCORE_THRESHOLD
    top = scores[-1].contributions[0]
    assert top.signal == "bearing_temp"
    assert np.sign(top.deviation) == np.sign(step)


def test_a_signal_watched_for_rises_ignores_a_drop() -> None:
    model, rng = _model(directions={"bearing_temp": SignalDirection.UP})
    drop, rise = _stepped(rng, -STEP), _stepped(rng, STEP)

    assert max(s.score for s in _scores(model, drop)) < SCORE_THRESHOLD
    assert max(s.score for s in _scores(model, rise)) > SCORE_THRESHOLD


def test_a_signal_watched_for_drops_ignores_a_rise() -> None:
    model, rng = _model(directions={"bearing_temp": SignalDirection.DOWN})

    assert max(s.score for s in _scores(model, _stepped(rng, STEP))) < SCORE_THRESHOLD
    assert max(s.score for s in _scores(model, _stepped(rng, -STEP))) > SCORE_THRESHOLD


def test_contributions_add_up_to_the_score() -> None:
    # Two signals stepped together: both carry a large share, none is left out.
    rng = np.random.default_rng(3)
    model = trained(healthy(rng, TRAINING)[:, :2], signals=SIGNALS[:2])
    values = healthy(rng, 100)[:, :2]
    values[50:, 0] += 3.0
    values[50:, 1] -= 2.0

    scores, _ = score_batch(
        model, initial_state(model), batch(values, signals=SIGNALS[:2], start=TRAINING)
    )

    assert all(0.0 <= s.score < 1.0 for s in scores)
    for score in scores[60:]:
        assert len(score.contributions) == 2
        assert sum(c.contribution for c in score.contributions) == pytest.approx(
            score.score, abs=1e-9
        )


def test_contributions_left_out_are_each_under_a_hundredth_of_the_score() -> None:
    model, rng = _model()
    values = _stepped(rng, STEP)
    values[60:, 0] -= 2.0

    for score in _scores(model, values)[55:]:
        shares = [c.contribution for c in score.contributions]
        left_out = len(SIGNALS) - len(shares)
        assert abs(sum(shares) - score.score) <= left_out * 0.01 * score.score + 1e-9
        assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize("split", [15, 30, 45])
def test_scoring_in_two_batches_equals_scoring_in_one(split: int) -> None:
    # The reference learns in chunks of drift_time_constant / 20 (15 observations here)
    # counted from each batch's start; a split on a chunk boundary changes nothing.
    model, rng = _model()
    assert int(model.drift_time_constant_observations // 20) == 15
    values = _stepped(rng, STEP)
    values[10, 2] = np.nan  # a gap is carried forward across the split too

    whole = _scores(model, values)
    first, state = score_batch(model, initial_state(model), batch(values[:split], start=TRAINING))
    second, end = score_batch(model, state, batch(values[split:], start=TRAINING + split))

    assert [s.time for s in first + second] == [s.time for s in whole]
    assert [s.score for s in first + second] == pytest.approx([s.score for s in whole], abs=1e-9)
    assert end.observations == 100


def test_a_split_off_the_learning_chunks_changes_scores_only_slightly() -> None:
    model, rng = _model()
    values = _stepped(rng, STEP)

    whole = _scores(model, values)
    first, state = score_batch(model, initial_state(model), batch(values[:37], start=TRAINING))
    second, _ = score_batch(model, state, batch(values[37:], start=TRAINING + 37))

    assert [s.score for s in first + second] == pytest.approx([s.score for s in whole], abs=0.01)


def test_a_drift_much_slower_than_the_reference_follows_stays_quiet() -> None:
    # Default settings, trained on 400 observations past the warm-up: with the default
    # smoothing (30) fewer hold too few independent stretches for a steady calibration.
    # A fast (white-noise) signal drifts one sigma over 3000 observations, ten drift
    # time constants.
    settings = DetectorSettings()
    rows = 400 + settings.settle_observations
    rng = np.random.default_rng(0)
    model = trained(healthy(rng, rows), settings=settings)
    assert not any(model.slow)
    values = healthy(rng, 3000)
    values[:, 0] += np.linspace(0.0, 1.0, 3000)

    scored, _ = score_batch(model, initial_state(model), batch(values, start=rows))
    scores = np.array([s.score for s in scored])

    assert np.mean(scores >= SCORE_THRESHOLD) < 0.02
    assert _longest_run(scores >= SCORE_THRESHOLD) < 10


def test_a_large_level_is_scored_like_the_same_noise_around_zero() -> None:
    rng = np.random.default_rng(7)
    noise = healthy(rng, TRAINING + 100, sigmas=(0.5, 0.5, 0.5))
    noise[TRAINING + 50 :, 1] += 2.0
    around_zero = trained(noise[:TRAINING])
    around_640 = trained(noise[:TRAINING] + 640.0)

    low = _scores(around_zero, noise[TRAINING:])
    high = _scores(around_640, noise[TRAINING:] + 640.0)

    assert [s.score for s in high] == pytest.approx([s.score for s in low], abs=1e-6)
    assert max(s.score for s in high) > SCORE_THRESHOLD


def test_scores_name_the_model_version_and_machine() -> None:
    model, rng = _model()

    scores, _ = score_batch(
        model, initial_state(model), batch(healthy(rng, 3), start=TRAINING), model_version=4
    )

    assert {(s.machine_id, s.model_version) for s in scores} == {("l1-filler", 4)}
    assert len(scores) == 3


def test_an_empty_batch_scores_nothing_and_keeps_the_state() -> None:
    model, _ = _model()
    state = initial_state(model)

    scores, after = score_batch(model, state, batch(np.empty((0, len(SIGNALS)))))

    assert (scores, after) == ([], state)


# Stops in running, in observation widths left out: over the model's
# restart_gap_observations (10) a stop is a restart, under it not.
LONG_STOP = 20
SHORT_STOP = 5
# Observations before the stop in the settling tests, and in all.
BEFORE_STOP = 20
ROWS = 40


def _around_a_stop(values: FloatArray, missing: int) -> ObservationBatch:
    return with_stop(values, before=BEFORE_STOP, missing=missing, start=TRAINING)


def _faulty_then_healthy(rng: np.random.Generator) -> FloatArray:
    """Observations stepped by ``STEP`` sigmas up to the stop, healthy after it."""
    values = healthy(rng, ROWS)
    values[:BEFORE_STOP, 1] += STEP
    return values


def test_the_settings_restart_after_a_stop_of_over_ten_widths_and_settle_over_five() -> None:
    model, _ = _model()

    assert (model.restart_gap_observations, model.settle_observations) == (10.0, 5)
    assert initial_state(model).since_restart == model.settle_observations


def test_observations_right_after_a_long_stop_get_no_score() -> None:
    model, rng = _model()
    observations = _around_a_stop(healthy(rng, ROWS), LONG_STOP)

    scores, state = score_batch(model, initial_state(model), observations)

    # Those before the stop are scored; after it, the first five are warm-up.
    settled = BEFORE_STOP + model.settle_observations
    assert [s.time for s in scores] == [
        *observations.times[:BEFORE_STOP],
        *observations.times[settled:],
    ]
    assert state.last_time == observations.times[-1]
    assert state.since_restart == ROWS - BEFORE_STOP - 1
    assert state.observations == ROWS


def test_a_machine_starting_long_after_its_training_warms_up_first() -> None:
    model, rng = _model()
    later = batch(healthy(rng, 10), start=TRAINING + LONG_STOP)

    scores, _ = score_batch(model, initial_state(model), later)

    assert [s.time for s in scores] == list(later.times[model.settle_observations :])


def test_smoothing_starts_afresh_after_a_long_stop() -> None:
    # A fault up to the stop, healthy running after it: averaged with the faulty
    # observations before the stop, the first ones after it would alarm.
    model, rng = _model()
    observations = _around_a_stop(_faulty_then_healthy(rng), LONG_STOP)

    scores, _ = score_batch(model, initial_state(model), observations)

    before, after = scores[:BEFORE_STOP], scores[BEFORE_STOP:]
    assert min(s.score for s in before[FAST.smoothing_observations :]) > SCORE_THRESHOLD
    assert after[0].time == observations.times[BEFORE_STOP + model.settle_observations]
    assert max(s.score for s in after) < SCORE_THRESHOLD


def test_a_short_stop_is_no_restart() -> None:
    model, rng = _model()
    observations = _around_a_stop(_faulty_then_healthy(rng), SHORT_STOP)

    scores, _ = score_batch(model, initial_state(model), observations)

    # Every observation is scored, and smoothing carries on across the stop: the first
    # after it is still averaged with the faulty ones before.
    assert [s.time for s in scores] == list(observations.times)
    assert scores[BEFORE_STOP].score > SCORE_THRESHOLD


@pytest.mark.parametrize("split", [BEFORE_STOP, BEFORE_STOP + 2])
def test_a_stop_or_warm_up_split_across_batches_is_scored_as_in_one(split: int) -> None:
    # Split at the stop (the second batch starts with the restart) or inside the warm-up.
    model, rng = _model()
    observations = _around_a_stop(_faulty_then_healthy(rng), LONG_STOP)

    whole, _ = score_batch(model, initial_state(model), observations)
    first, state = score_batch(model, initial_state(model), observations.slice(0, split))
    second, _ = score_batch(model, state, observations.slice(split, ROWS))

    assert [s.time for s in first + second] == [s.time for s in whole]
    assert [s.score for s in first + second] == pytest.approx([s.score for s in whole], abs=0.01)


def _longest_run(flags: npt.NDArray[np.bool_]) -> int:
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest
