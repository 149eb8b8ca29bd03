"""When a machine's condition model is retrained, and whether the new one takes over.

- **Scheduled:** once the newest version is ``retrain_every`` old, a new one is
  trained on the latest ``retrain_window`` of running data, so normal follows
  the machine as it beds in and seasons change.
- **New regimes:** once ``min_regime_observations`` observations were skipped
  for a regime the model never saw (a new product), it is retrained to include it.
- **Never on a fault:** a machine with an open anomaly alert is not retrained;
  its fault would become its normal.
- **Drift check:** if more of the recent scores exceed the limit than the
  calibration promises (``drift_factor`` times the false-alarm probability, at
  least 1 %), the machine's normal may have moved or it may be degrading: the
  new version is stored as a candidate for a person to promote
  (``linecare models promote``), and the note says why.

- **After a repair:** once a service report replaces a monitored part of the
  machine, a new version is trained on the running since the report's restore
  time, as soon as there is enough of it, and takes over: a replaced part is a
  new healthy baseline. A repair that replaces nothing keeps the model.
  ``linecare models train MACHINE --since <end of repair>`` does the same by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.anomaly import SCORE_THRESHOLD, AnomalyScore
from models.condition_model import ModelStatus, ScorerState, StoredModel


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    retrain_every: timedelta = timedelta(days=7)
    retrain_window: timedelta = timedelta(days=7)
    drift_factor: float = 10.0
    min_drift_share: float = 0.01
    drift_scores: int = 500


@dataclass(frozen=True, slots=True)
class Retraining:
    """A retraining that is due: why, and as what status the new version is stored."""

    reason: str
    status: ModelStatus


def drift_share(scores: list[AnomalyScore]) -> float:
    """The share of the scores at or above the limit."""
    if not scores:
        return 0.0
    return sum(s.score >= SCORE_THRESHOLD for s in scores) / len(scores)


def retraining_due(
    newest: StoredModel,
    state: ScorerState,
    recent: list[AnomalyScore],
    settings: LifecycleSettings,
    *,
    min_regime_observations: int,
    now: datetime,
) -> Retraining | None:
    """Whether to retrain now, given the newest stored version and the active one's state."""
    if state.unseen >= min_regime_observations:
        reason = f"{state.unseen} observations in regimes the model never saw"
    elif now - newest.model.trained_until >= settings.retrain_every:
        reason = "scheduled retraining"
    else:
        return None
    share = drift_share(recent)
    allowed = max(
        settings.drift_factor * newest.model.calibration.false_alarm_probability,
        settings.min_drift_share,
    )
    if share > allowed:
        return Retraining(
            f"{reason}; drift: {share:.1%} of recent scores over the limit (calibrated"
            f" {newest.model.calibration.false_alarm_probability:.2%}), kept as a candidate",
            ModelStatus.CANDIDATE,
        )
    return Retraining(reason, ModelStatus.ACTIVE)
