"""Reading a user's history from CSV: timestamped numeric signals, optional labels.

Times are ISO 8601, or numbers N read as N x ``period_s`` seconds after
1970-01-01T00:00Z; without a time column, row i is at i x ``period_s``. Every
other numeric column (except labels, entities and the running flag) is a signal.
Rows need not be regular: the observation width is their median spacing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.condition_observations import ObservationBatch, uniform_regimes


class HistoryError(ValueError):
    """The file cannot be read as a history; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class CsvLayout:
    time_column: str | None = None
    period_s: float = 1.0
    label_column: str | None = None
    entity_column: str | None = None
    running_column: str | None = None
    changepoint_column: str | None = None


@dataclass(frozen=True, slots=True)
class EntityHistory:
    """One machine's rows: observations, and per row its label and running flag."""

    entity: str
    batch: ObservationBatch
    labels: npt.NDArray[np.bool_] | None
    running: npt.NDArray[np.bool_]
    changepoints: tuple[datetime, ...]

    def observation_width_s(self) -> float:
        times = np.asarray([t.timestamp() for t in self.batch.times])
        spacing = np.diff(times)
        spacing = spacing[spacing > 0]
        return float(np.median(spacing)) if spacing.size else 1.0


def _separator(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        sample = handle.readline()
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _times(frame: pd.DataFrame, layout: CsvLayout) -> list[datetime]:
    if layout.time_column is None:
        return [datetime.fromtimestamp(i * layout.period_s, UTC) for i in range(len(frame))]
    column = frame[layout.time_column]
    if pd.api.types.is_numeric_dtype(column):
        seconds = column.astype(float) * layout.period_s
        return [datetime.fromtimestamp(float(s), UTC) for s in seconds]
    parsed = pd.to_datetime(column, utc=True, errors="coerce", format="ISO8601")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise HistoryError(f"row {row + 2}: time {column.iloc[row]!r} is not ISO 8601")
    return [t.to_pydatetime() for t in parsed]


def _flags(frame: pd.DataFrame, column: str | None) -> npt.NDArray[np.bool_] | None:
    if column is None:
        return None
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        raise HistoryError(f"column {column!r} must hold 0 or 1 in every row")
    return values.to_numpy() > 0


def _signal_columns(frame: pd.DataFrame, layout: CsvLayout) -> list[str]:
    reserved = {
        layout.time_column,
        layout.label_column,
        layout.entity_column,
        layout.running_column,
        layout.changepoint_column,
    }
    signals = [
        c for c in frame.columns if c not in reserved and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not signals:
        raise HistoryError("no numeric signal columns besides the named ones")
    return signals


def _check_columns(frame: pd.DataFrame, layout: CsvLayout) -> None:
    named = (
        layout.time_column,
        layout.label_column,
        layout.entity_column,
        layout.running_column,
        layout.changepoint_column,
    )
    missing = [c for c in named if c is not None and c not in frame.columns]
    if missing:
        raise HistoryError(f"no column {missing[0]!r}; the file has {list(frame.columns)}")


def _history(entity: str, frame: pd.DataFrame, layout: CsvLayout) -> EntityHistory:
    times = _times(frame, layout)
    order = np.argsort(np.asarray([t.timestamp() for t in times]), kind="stable")
    frame = frame.iloc[order]
    times = [times[i] for i in order]
    signals = _signal_columns(frame, layout)
    values = frame[signals].to_numpy(dtype=float)
    batch = ObservationBatch(tuple(signals), tuple(times), values, uniform_regimes(len(times)))
    running = _flags(frame, layout.running_column)
    changes = _flags(frame, layout.changepoint_column)
    return EntityHistory(
        entity=entity,
        batch=batch,
        labels=_flags(frame, layout.label_column),
        running=running if running is not None else np.ones(len(times), dtype=bool),
        changepoints=tuple(t for t, c in zip(times, changes, strict=True) if c)
        if changes is not None
        else (),
    )


def read_histories(path: Path, layout: CsvLayout) -> list[EntityHistory]:
    """The file's histories, one per entity (one in all without an entity column)."""
    if not path.is_file():
        raise HistoryError(f"{path}: no such file")
    frame = pd.read_csv(path, sep=_separator(path))
    _check_columns(frame, layout)
    if layout.entity_column is None:
        return [_history(path.stem, frame, layout)]
    return [
        _history(str(entity), rows, layout)
        for entity, rows in frame.groupby(layout.entity_column, sort=True)
    ]
