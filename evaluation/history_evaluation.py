"""Evaluating the detector on labelled histories: train, replay, compare with labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from alerts.anomaly_rules import SustainedAnomalyRule
from analytics.condition_observations import pick
from analytics.condition_training import DetectorSettings, TrainingError
from evaluation.csv_history import EntityHistory
from evaluation.detection_metrics import NabTally, PointCounts, nab_tally, point_counts
from evaluation.replay import ReplayedAlert, replay
from models.condition_model import SignalDirection

# SKAB's change-point windows reach this far after each labelled change.
NAB_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Evaluation:
    counts: PointCounts = field(default_factory=PointCounts)
    nab: NabTally = field(default_factory=NabTally)
    alerts: tuple[ReplayedAlert, ...] = ()
    labelled: bool = False
    skipped: tuple[str, ...] = field(default_factory=tuple)

    def __add__(self, other: Evaluation) -> Evaluation:
        return Evaluation(
            self.counts + other.counts,
            self.nab + other.nab,
            self.alerts + other.alerts,
            self.labelled or other.labelled,
            self.skipped + other.skipped,
        )

    def summary(self, *, with_nab: bool) -> dict[str, Any]:
        """The JSON line ``linecare evaluate`` prints last."""
        result: dict[str, Any] = {}
        if self.labelled:
            result |= {
                "f1": round(self.counts.f1, 4),
                "far": round(self.counts.far, 4),
                "mar": round(self.counts.mar, 4),
            }
        if with_nab:
            result["changepoint_nab_standard"] = round(self.nab.normalised(), 2)
        result["alerts"] = [
            {
                "entity": a.entity,
                "raised_at": a.raised_at.isoformat(),
                "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
                "peak": round(a.peak, 4),
                "drivers": [d.signal for d in a.drivers],
            }
            for a in self.alerts
        ]
        if self.skipped:
            result["skipped"] = list(self.skipped)
        return result


def evaluate_history(
    history: EntityHistory,
    *,
    train_rows: int,
    directions: Mapping[str, SignalDirection],
    detector: DetectorSettings,
    rule: SustainedAnomalyRule,
) -> Evaluation:
    """Train on the first ``train_rows`` rows (running ones only), replay the rest."""
    running = history.running
    train = np.flatnonzero(running[:train_rows])
    test = np.flatnonzero(running[train_rows:]) + train_rows
    batch = history.batch
    picked = pick(batch, running.tolist())
    try:
        replayed = replay(
            history.entity,
            picked,
            train_rows=len(train),
            directions=directions,
            detector=detector,
            rule=rule,
            observation_width_s=history.observation_width_s(),
        )
    except TrainingError as error:
        return Evaluation(skipped=(f"{history.entity}: {error}",))
    predicted = np.zeros(len(batch) - train_rows, dtype=bool)
    predicted[test - train_rows] = replayed.alert_open
    counts = PointCounts()
    if history.labels is not None:
        counts = point_counts(predicted, history.labels[train_rows:])
    test_start = batch.times[train_rows] if train_rows < len(batch) else batch.times[-1]
    nab = nab_tally(
        [a.raised_at for a in replayed.alerts],
        [c for c in history.changepoints if c >= test_start],
        window=NAB_WINDOW,
    )
    return Evaluation(counts, nab, replayed.alerts, history.labels is not None)


def evaluate_histories(
    histories: Sequence[EntityHistory],
    *,
    train_rows: int,
    directions: Mapping[str, SignalDirection],
    detector: DetectorSettings,
    rule: SustainedAnomalyRule,
) -> Evaluation:
    total = Evaluation()
    for history in histories:
        total += evaluate_history(
            history, train_rows=train_rows, directions=directions, detector=detector, rule=rule
        )
    return total
