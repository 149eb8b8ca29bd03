"""``linecare evaluate``: check the detector on a history before trusting it.

Trains on each entity's first rows and replays the rest through the live
scorer and alert rules (``evaluation.replay``). The last line printed is one
JSON object: ``f1``, ``far``, ``mar`` (when labelled), ``alerts`` and, for SKAB,
``changepoint_nab_standard``; the simulator dataset reports lead times and
false alerts per machine-week instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerts.anomaly_rules import SustainedAnomalyRule
from analytics.condition_training import DetectorSettings
from evaluation.csv_history import CsvLayout, HistoryError, read_histories
from evaluation.history_evaluation import Evaluation, evaluate_histories
from evaluation.simulator_evaluation import evaluate_simulator
from models.plant import load_plant

SKAB_TRAIN_ROWS = 400
SKAB_FOLDERS = ("valve1", "valve2", "other")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="score a history (CSV or a bundled dataset) through the live detector"
    )
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, help="a CSV of timestamped numeric signals")
    source.add_argument("--dataset", choices=["skab", "simulator"], help="a bundled benchmark")
    evaluate.add_argument("--time-column", help="ISO 8601 times, or numbers x --period-s")
    evaluate.add_argument("--period-s", type=float, default=1.0, help="seconds per time unit")
    evaluate.add_argument("--label-column", help="0/1 anomaly labels, for F1/FAR/MAR")
    evaluate.add_argument("--entity-column", help="several machines in one file")
    evaluate.add_argument("--running-column", help="0/1: only running rows are scored")
    evaluate.add_argument("--changepoint-column", help="0/1 at change moments, for NAB")
    evaluate.add_argument("--train-rows", type=int, help="rows per entity to train on")
    evaluate.add_argument(
        "--data-dir", type=Path, help="SKAB's folder (default ../shared/data/skab)"
    )
    evaluate.add_argument("--days", type=float, default=30.0, help="simulator: simulated days")


def _print_summary(summary: dict[str, Any]) -> None:
    figures = {k: v for k, v in summary.items() if k not in ("alerts", "skipped")}
    for key, value in figures.items():
        print(f"{key:28} {value}")
    print(f"{'alerts':28} {len(summary.get('alerts', []))}")
    for skipped in summary.get("skipped", []):
        print(f"skipped: {skipped}")
    print(json.dumps(summary))


def _skab(args: argparse.Namespace) -> Evaluation:
    root = args.data_dir or Path(__file__).resolve().parents[2] / "shared" / "data" / "skab"
    files = sorted(f for folder in SKAB_FOLDERS for f in (root / folder).glob("*.csv"))
    if not files:
        raise HistoryError(f"no SKAB files under {root} (use --data-dir)")
    layout = CsvLayout(
        time_column="datetime", label_column="anomaly", changepoint_column="changepoint"
    )
    histories = [
        replace(h, entity=f"{f.parent.name}/{f.stem}")
        for f in files
        for h in read_histories(f, layout)
    ]
    return evaluate_histories(
        histories,
        train_rows=args.train_rows or SKAB_TRAIN_ROWS,
        directions={},
        detector=DetectorSettings(),
        rule=SustainedAnomalyRule(),
    )


def _csv(args: argparse.Namespace) -> Evaluation:
    layout = CsvLayout(
        time_column=args.time_column,
        period_s=args.period_s,
        label_column=args.label_column,
        entity_column=args.entity_column,
        running_column=args.running_column,
        changepoint_column=args.changepoint_column,
    )
    histories = read_histories(args.csv, layout)
    detector = DetectorSettings()
    train_rows = args.train_rows
    if train_rows is None:
        shortest = min(len(h.batch) for h in histories)
        train_rows = max(
            detector.observations_needed(len(histories[0].batch.signals)), shortest // 3
        )
    return evaluate_histories(
        histories,
        train_rows=train_rows,
        directions={},
        detector=detector,
        rule=SustainedAnomalyRule(),
    )


def run_evaluate(args: argparse.Namespace, plant_file: Path) -> int:
    try:
        if args.dataset == "simulator":
            summary = evaluate_simulator(load_plant(plant_file), days=args.days)
            _print_summary(summary)
            return 0
        evaluation = _skab(args) if args.dataset == "skab" else _csv(args)
    except HistoryError as error:
        print(f"linecare evaluate: {error}", file=sys.stderr)
        return 2
    _print_summary(
        evaluation.summary(with_nab=args.dataset == "skab" or bool(args.changepoint_column))
    )
    return 0


def simulated_span(days: float) -> timedelta:
    return timedelta(days=days)
