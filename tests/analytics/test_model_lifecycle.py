"""When a condition model is retrained, and whether the new version takes over."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from analytics.model_lifecycle import LifecycleSettings, retraining_due
from models.anomaly import AnomalyScore
from models.condition_model import ModelStatus, ScorerState, StoredModel
from tests.analytics.condition_factories import T0, healthy, trained

SETTINGS = LifecycleSettings(retrain_every=timedelta(days=7))


def _stored() -> StoredModel:
    model = trained(healthy(np.random.default_rng(1), 200))
    return StoredModel(1, model.machine_id, 1, ModelStatus.ACTIVE, T0, "first model", model)


def _scores(high: int, low: int) -> list[AnomalyScore]:
    values = [0.9] * high + [0.1] * low
    return [
        AnomalyScore(T0 + timedelta(minutes=i), "l1-filler", v, ()) for i, v in enumerate(values)
    ]


def test_a_young_model_is_kept() -> None:
    stored = _stored()
    state = ScorerState.fresh(stored.model)
    now = stored.model.trained_until + timedelta(days=6)
    assert (
        retraining_due(
            stored, state, _scores(0, 100), SETTINGS, min_regime_observations=30, now=now
        )
        is None
    )


def test_an_old_model_is_retrained_and_the_new_version_takes_over() -> None:
    stored = _stored()
    state = ScorerState.fresh(stored.model)
    now = stored.model.trained_until + timedelta(days=7)
    due = retraining_due(
        stored, state, _scores(0, 100), SETTINGS, min_regime_observations=30, now=now
    )
    assert due is not None
    assert due.status is ModelStatus.ACTIVE
    assert due.reason == "scheduled retraining"


def test_new_regimes_retrain_a_young_model() -> None:
    stored = _stored()
    state = replace(ScorerState.fresh(stored.model), unseen=30)
    now = stored.model.trained_until + timedelta(hours=1)
    due = retraining_due(
        stored, state, _scores(0, 100), SETTINGS, min_regime_observations=30, now=now
    )
    assert due is not None
    assert "regimes the model never saw" in due.reason


def test_drift_keeps_the_new_version_a_candidate() -> None:
    stored = _stored()
    state = ScorerState.fresh(stored.model)
    now = stored.model.trained_until + timedelta(days=8)
    # 5 % of recent scores over the limit, against 0.01 % calibrated: not normal any more.
    due = retraining_due(
        stored, state, _scores(5, 95), SETTINGS, min_regime_observations=30, now=now
    )
    assert due is not None
    assert due.status is ModelStatus.CANDIDATE
    assert "drift: 5.0%" in due.reason
