"""Train on the first observations of a history, then replay the rest as live data.

The rest goes through ``analytics.condition_scoring.score_batch`` in batches, as
the analytics cycle feeds it, and every new score through the same
``alerts.anomaly_rules`` functions the alert job calls, so what is measured here
is what a user would see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from alerts.anomaly_rules import (
    CloseAlert,
    RaiseAlert,
    SustainedAnomalyRule,
    UpdateAlert,
    assess_open,
    assess_quiet,
)
from analytics.condition_observations import ObservationBatch
from analytics.condition_scoring import initial_state, score_batch
from analytics.condition_training import DetectorSettings, fit_condition_model
from models.anomaly import AnomalyScore, SignalContribution
from models.condition_model import ConditionModel, SignalDirection

# Observations handed to the scorer at once, like one analytics cycle's worth.
REPLAY_BATCH = 64


@dataclass(frozen=True, slots=True)
class ReplayedAlert:
    """An alert as the replay raised it: when, how high, and what drove it."""

    entity: str
    raised_at: datetime
    cleared_at: datetime | None
    peak: float
    drivers: tuple[SignalContribution, ...]


@dataclass(frozen=True, slots=True)
class Replay:
    """Scores of the replayed observations, whether an alert was open at each, and the alerts."""

    model: ConditionModel
    scores: tuple[AnomalyScore, ...]
    alert_open: npt.NDArray[np.bool_]
    alerts: tuple[ReplayedAlert, ...]


class _AlertTracker:
    """The alert job's decisions for one machine, one score at a time."""

    def __init__(self, entity: str, rule: SustainedAnomalyRule) -> None:
        self._entity = entity
        self._rule = rule
        self._history: list[AnomalyScore] = []
        self._open_since: datetime | None = None
        self._raised_at: datetime | None = None
        self._peak = 0.0
        self._drivers: tuple[SignalContribution, ...] = ()
        self.alerts: list[ReplayedAlert] = []

    def step(self, score: AnomalyScore) -> bool:
        """Take one score; True while an alert is open after it."""
        self._history.append(score)
        del self._history[: -self._rule.history_observations]
        if self._open_since is None:
            decision = assess_quiet(self._history, self._rule)
            if isinstance(decision, RaiseAlert):
                self._open_since = decision.episode.started_at
                self._raised_at = score.time
                self._peak = decision.episode.peak_score
                self._drivers = decision.episode.drivers
            return self._open_since is not None
        follow_up = assess_open(self._history, self._rule, open_since=self._open_since)
        if isinstance(follow_up, UpdateAlert):
            self._peak = max(self._peak, follow_up.episode.peak_score)
            self._drivers = follow_up.episode.drivers or self._drivers
        elif isinstance(follow_up, CloseAlert):
            self._finish(score.time)
            return False
        return True

    def _finish(self, cleared_at: datetime | None) -> None:
        assert self._raised_at is not None
        self.alerts.append(
            ReplayedAlert(self._entity, self._raised_at, cleared_at, self._peak, self._drivers)
        )
        self._open_since = None
        self._raised_at = None
        self._peak = 0.0

    def close_open(self) -> None:
        if self._open_since is not None:
            self._finish(None)


def replay(
    entity: str,
    batch: ObservationBatch,
    *,
    train_rows: int,
    directions: Mapping[str, SignalDirection],
    detector: DetectorSettings,
    rule: SustainedAnomalyRule,
    observation_width_s: float,
) -> Replay:
    """Fit on the first ``train_rows`` observations and replay the others."""
    model = fit_condition_model(
        entity,
        batch.slice(0, train_rows),
        directions=directions,
        settings=detector,
        observation_width_s=observation_width_s,
    )
    test = batch.slice(train_rows, len(batch))
    state = initial_state(model)
    tracker = _AlertTracker(entity, rule)
    scores: list[AnomalyScore] = []
    flags = np.zeros(len(test), dtype=bool)
    for start in range(0, len(test), REPLAY_BATCH):
        scored, state = score_batch(model, state, test.slice(start, start + REPLAY_BATCH))
        for offset, score in enumerate(scored):
            flags[start + offset] = tracker.step(score)
        scores.extend(scored)
    tracker.close_open()
    return Replay(model, tuple(scores), flags, tuple(tracker.alerts))
