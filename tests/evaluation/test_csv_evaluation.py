"""`linecare evaluate --csv` on histories of any rate: hourly, per cycle, several machines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from launcher.cli import main

START = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 900
FAULT_FROM = 700


def _history(rng: np.random.Generator, *, drop: bool) -> tuple[np.ndarray, np.ndarray]:
    """Two correlated signals; from FAULT_FROM on one of them shifts by 4 sigmas."""
    load = rng.normal(0, 1, ROWS)
    pressure = 50 + 2 * load + rng.normal(0, 0.5, ROWS)
    flow = 120 + 3 * load + rng.normal(0, 0.5, ROWS)
    labels = np.zeros(ROWS, dtype=int)
    labels[FAULT_FROM:] = 1
    shift = 4 * np.std(flow[:FAULT_FROM])
    flow[FAULT_FROM:] += -shift if drop else shift
    return np.column_stack([pressure, flow]), labels


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    """The JSON object `linecare evaluate` prints as its last line."""
    assert main(argv) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last)
    return result


def test_hourly_data_gets_a_model_and_a_falling_signal_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values, labels = _history(np.random.default_rng(3), drop=True)
    path = tmp_path / "hourly.csv"
    lines = ["time,pressure,flow,fault"]
    for i in range(ROWS):
        stamp = (START + timedelta(hours=i)).isoformat()
        lines.append(f"{stamp},{values[i, 0]:.4f},{values[i, 1]:.4f},{labels[i]}")
    path.write_text("\n".join(lines) + "\n")

    result = _run(
        capsys,
        [
            "evaluate",
            "--csv",
            str(path),
            "--time-column",
            "time",
            "--label-column",
            "fault",
            "--train-rows",
            "400",
        ],
    )

    assert result["f1"] > 0.8
    assert result["far"] < 0.05
    assert result["alerts"]
    assert result["alerts"][0]["drivers"][0] == "flow"


def test_per_cycle_data_of_several_machines_is_evaluated_per_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(5)
    path = tmp_path / "cycles.csv"
    lines = ["machine;cycle;pressure;flow;fault"]
    for machine, drop in (("press-1", False), ("press-2", True)):
        values, labels = _history(rng, drop=drop)
        lines += [
            f"{machine};{i};{values[i, 0]:.4f};{values[i, 1]:.4f};{labels[i]}" for i in range(ROWS)
        ]
    path.write_text("\n".join(lines) + "\n")

    result = _run(
        capsys,
        [
            "evaluate",
            "--csv",
            str(path),
            "--time-column",
            "cycle",
            "--period-s",
            "90",
            "--entity-column",
            "machine",
            "--label-column",
            "fault",
            "--train-rows",
            "400",
        ],
    )

    assert result["f1"] > 0.8
    raised = {a["entity"] for a in result["alerts"]}
    assert raised == {"press-1", "press-2"}


def test_a_missing_column_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,a\n2026-01-01T00:00:00Z,1\n")
    assert main(["evaluate", "--csv", str(path), "--label-column", "fault"]) == 2
    assert "no column 'fault'" in capsys.readouterr().err
