"""``linecare evaluate --dataset simulator``: lead time on a wearing bearing, false
alerts on healthy machines.

Two runs of the simulated plant, both through the live scorer and alert rules:

- the demo's story (a filler bearing wears from hour 2 and breaks down at hour 6),
  trained on the first observations: how long before the breakdown the first
  warning came, and how far into the degradation;
- a month of healthy running (micro-stops, changeovers, breaks, no wear),
  trained on the first day so that every product is learnt: false alerts per
  machine-week.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerts.anomaly_rules import SustainedAnomalyRule
from analytics.condition_training import DetectorSettings
from evaluation.replay import replay
from evaluation.simulator_dataset import START, simulated_histories
from models.plant import Plant
from simulator.scenarios import Scenario

STORY_SPAN = timedelta(hours=8)
STORY_SAMPLES = timedelta(seconds=30)
HEALTHY_SAMPLES = timedelta(seconds=60)
HEALTHY_TRAINING = timedelta(days=1)
SEED = 7


def _story(plant: Plant, detector: DetectorSettings, rule: SustainedAnomalyRule) -> dict[str, Any]:
    scenario = Scenario()
    wear = scenario.bearing_wear
    assert wear is not None
    for history in simulated_histories(
        plant, scenario=scenario, duration=STORY_SPAN, seed=SEED, sample_every=STORY_SAMPLES
    ):
        if history.wear is None:
            continue
        result = replay(
            history.machine_id,
            history.batch,
            # Trained on the healthy running before the wear begins.
            train_rows=sum(t < START + wear.onset for t in history.batch.times),
            directions={},
            detector=detector,
            rule=rule,
            observation_width_s=STORY_SAMPLES.total_seconds(),
        )
        onset, breakdown = START + wear.onset, START + wear.breakdown_at
        first = next((a for a in result.alerts if onset <= a.raised_at <= breakdown), None)
        if first is None:
            return {"lead_time_h": None, "warning_share_of_degradation": None}
        return {
            "lead_time_h": round((breakdown - first.raised_at).total_seconds() / 3600, 2),
            "warning_share_of_degradation": round(
                (first.raised_at - onset) / (breakdown - onset), 3
            ),
            "false_alerts_before_onset": sum(a.raised_at < onset for a in result.alerts),
        }
    return {"lead_time_h": None, "warning_share_of_degradation": None}


def _healthy(
    plant: Plant, days: float, detector: DetectorSettings, rule: SustainedAnomalyRule
) -> dict[str, Any]:
    span = timedelta(days=days)
    scenario = Scenario(bearing_wear=None, scrap_burst=None)
    alerts = 0
    machine_weeks = 0.0
    scored = observed = 0
    for history in simulated_histories(
        plant, scenario=scenario, duration=span, seed=SEED + 1, sample_every=HEALTHY_SAMPLES
    ):
        training_end = START + HEALTHY_TRAINING
        train_rows = sum(t < training_end for t in history.batch.times)
        result = replay(
            history.machine_id,
            history.batch,
            train_rows=train_rows,
            directions={},
            detector=detector,
            rule=rule,
            observation_width_s=HEALTHY_SAMPLES.total_seconds(),
        )
        alerts += len(result.alerts)
        machine_weeks += (span - HEALTHY_TRAINING) / timedelta(weeks=1)
        scored += len(result.scores)
        observed += len(history.batch) - train_rows
    return {
        "healthy_days": days,
        "false_alerts_per_machine_week": round(alerts / machine_weeks, 3)
        if machine_weeks
        else None,
        "false_alerts": alerts,
        "scored_share": round(scored / observed, 3) if observed else None,
    }


def evaluate_simulator(
    plant: Plant,
    *,
    days: float,
    detector: DetectorSettings | None = None,
    rule: SustainedAnomalyRule | None = None,
) -> dict[str, Any]:
    detector = detector or DetectorSettings()
    rule = rule or SustainedAnomalyRule()
    return _story(plant, detector, rule) | _healthy(plant, days, detector, rule)
