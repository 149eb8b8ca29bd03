"""Scoring benchmark: ``python -m bench.scoring [--quick]``.

Trains a condition model on synthetic healthy data of an eight-signal machine
(correlated signals, two regimes), then measures the streaming scorer
(``analytics.condition_scoring.score_batch``) on a long stream fed in batches
of one analytics cycle, against a straightforward pure-Python loop that does
the same arithmetic one observation at a time (normalise, rolling mean,
reference, Mahalanobis distance, ranked contributions, the same score objects),
measured in the same run.

Figures (last line, one JSON object):
- ``samples_per_s_per_core``: signal values scored per second, one process;
- ``ratio_to_python_loop``: how many times faster than the loop;
- ``mb_per_model``: the stored model's size (JSON), in MB.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.condition_observations import ObservationBatch
from analytics.condition_scoring import initial_state, score_batch
from analytics.condition_training import DetectorSettings, fit_condition_model
from models.anomaly import AnomalyScore, SignalContribution
from models.condition_model import ConditionModel
from storage.condition_model_codec import model_to_json

SIGNALS = tuple(f"signal_{j}" for j in range(8))
START = datetime(2026, 1, 1, tzinfo=UTC)
CYCLE = 4096


def synthetic(rows: int, seed: int) -> ObservationBatch:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(len(SIGNALS), len(SIGNALS))) * 0.3 + np.eye(len(SIGNALS))
    values = rng.normal(size=(rows, len(SIGNALS))) @ mixing + 50.0
    regimes = tuple("p1@100%" if (i // 500) % 2 == 0 else "p2@100%" for i in range(rows))
    values[[r == "p2@100%" for r in regimes]] += 3.0
    times = tuple(START + timedelta(seconds=10 * i) for i in range(rows))
    return ObservationBatch(SIGNALS, times, values, regimes)


def python_loop(model: ConditionModel, batch: ObservationBatch) -> list[AnomalyScore]:
    """The same scores, with their ranked contributions, one observation at a time."""
    normals = {r.regime: r for r in model.regimes}
    precision = [list(row) for row in model.precision]
    reference = list(model.location)
    width = model.smoothing_observations
    recent: deque[list[float]] = deque(maxlen=width)
    limit = model.calibration.limit
    scores: list[AnomalyScore] = []
    for i in range(len(batch)):
        normal = normals.get(batch.regimes[i], model.regimes[0])
        z = [(float(batch.values[i, j]) - s.center) / s.scale for j, s in enumerate(normal.signals)]
        recent.append(z)
        mean = [sum(row[j] for row in recent) / len(recent) for j in range(len(z))]
        residual = [m - r for m, r in zip(mean, reference, strict=True)]
        weighted = [sum(p * r for p, r in zip(row, residual, strict=True)) for row in precision]
        d = sum(r * w for r, w in zip(residual, weighted, strict=True))
        score = d / (d + limit)
        parts = sorted(
            (
                SignalContribution(name, r, r * w * score / d if d else 0.0)
                for name, r, w in zip(model.signals, residual, weighted, strict=True)
            ),
            key=lambda c: -c.contribution,
        )
        scores.append(AnomalyScore(batch.times[i], model.machine_id, score, tuple(parts)))
        if d < limit:
            reference = [r + (m - r) / 300.0 for r, m in zip(reference, mean, strict=True)]
    return scores


def run(rows: int, loop_rows: int) -> dict[str, float]:
    model = fit_condition_model(
        "bench",
        synthetic(2000, seed=1),
        directions={},
        settings=DetectorSettings(),
        observation_width_s=10.0,
    )
    stream = synthetic(rows, seed=2)
    state = initial_state(model)
    started = time.perf_counter()
    for start in range(0, rows, CYCLE):
        _, state = score_batch(model, state, stream.slice(start, start + CYCLE))
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    python_loop(model, stream.slice(0, loop_rows))
    loop_s = time.perf_counter() - started
    fast_rate = rows / fast_s
    loop_rate = loop_rows / loop_s
    return {
        "samples_per_s_per_core": round(fast_rate * len(SIGNALS)),
        "ratio_to_python_loop": round(fast_rate / loop_rate, 2),
        "mb_per_model": round(len(json.dumps(model_to_json(model))) / 1e6, 4),
        "observations": rows,
        "signals": len(SIGNALS),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    args = parser.parse_args()
    rows, loop_rows = (100_000, 10_000) if args.quick else (1_000_000, 50_000)
    figures = run(rows, loop_rows)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
