"""The alerting benchmark's machinery on a tiny plant: every figure is there (no timing checks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from alerts.anomaly_rules import SustainedAnomalyRule
from bench.alerting import Batch, Sizes, landing_of, main, raising_observation, run_benchmark
from models.anomaly import AnomalyScore

TINY = Sizes(lines=1, machines=2, speed=30.0, stagger_s=5.0, alert_cycles=2)
KEYS = {"ticket_latency_p50_s", "ticket_latency_p95_s", "alerts_per_s"}
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_rule_is_replayed_to_find_the_observation_it_raises_on() -> None:
    rule = SustainedAnomalyRule()
    scores = [
        AnomalyScore(T0 + timedelta(seconds=10 * i), "m", 0.9 if i >= 5 else 0.1, ())
        for i in range(30)
    ]

    # The tenth high score in a row, the fifth score being the first high one.
    assert raising_observation(scores, rule) == T0 + timedelta(seconds=10 * 14)


def test_the_trigger_lands_with_the_first_batch_reaching_it() -> None:
    batches = [
        Batch(1.0, T0),
        Batch(2.0, T0 + timedelta(seconds=10)),
        Batch(3.0, T0 + timedelta(seconds=20)),
    ]

    assert landing_of(batches, T0 + timedelta(seconds=5)) == 2.0
    assert landing_of(batches, T0 + timedelta(seconds=10)) == 3.0


@pytest.mark.integration
@pytest.mark.slow
async def test_a_tiny_run_reports_every_figure() -> None:
    figures = await run_benchmark(TINY, say=lambda _: None)

    assert KEYS <= set(figures)
    assert figures["tickets"] == 2
    for key in KEYS:
        value = figures[key]
        assert isinstance(value, int | float), key
        assert value > 0, key
    assert "\n" not in json.dumps(figures)


def test_the_command_refuses_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--fast"])
    assert "--quick" in capsys.readouterr().err
