"""Fitting machine baselines once, then scoring each new complete window.

A machine gets its baseline as soon as it has run long enough. From then on,
each cycle scores the windows that have completed since the last cycle
(``scored_until`` in the baseline row), so the work per cycle is one
aggregate query per machine over a few minutes of data. A window is complete
once ``settle`` has passed after its end, which leaves late samples from a
slower collector time to arrive.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.anomaly_baseline import fit_baseline, running_intervals, running_time_reached
from analytics.anomaly_scoring import WINDOW_ORIGIN, score_windows, window_floor
from models.plant import Machine, Plant, SignalKind
from models.states import TimeCategory
from storage.anomaly_store import (
    StoredBaseline,
    advance_scoring,
    insert_scores,
    load_baselines,
    save_baseline,
)
from storage.connections import Connection
from storage.running_condition_reader import (
    running_condition_samples,
    running_condition_windows,
    state_changes,
)


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """How much normal running a baseline needs and how windows are scored."""

    # 20 minutes at ~30 s sampling is ~40 samples per signal: enough for a
    # median and a MAD, short enough to catch the machine while it is healthy.
    baseline_running: timedelta = timedelta(minutes=20)
    baseline_min_samples: int = 20
    window: timedelta = timedelta(minutes=5)
    # A window in which the machine ran less than ~1.5 minutes says little.
    min_window_samples: int = 3
    settle: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class AnomalyProgress:
    """What one anomaly refresh did."""

    baselines_fitted: tuple[str, ...]
    still_learning: tuple[str, ...]
    scores_stored: int


def running_states(plant: Plant) -> frozenset[int]:
    """The PackML states the plant counts as running (EXECUTE by default)."""
    return frozenset(s for s, c in plant.state_categories.items() if c is TimeCategory.RUNNING)


async def _fit(
    conn: Connection,
    machine: Machine,
    running: Collection[int],
    settings: AnomalySettings,
    *,
    now: datetime,
) -> StoredBaseline | None:
    """Fit and store the machine's baseline from its first ``baseline_running`` of
    running time; None while it has not run that long."""
    spans = running_intervals(
        await state_changes(conn, machine_id=machine.id, until=now), running, until=now
    )
    cutoff = running_time_reached(spans, settings.baseline_running.total_seconds())
    if cutoff is None:
        return None
    samples = await running_condition_samples(
        conn,
        machine_id=machine.id,
        signals=machine.signals_of(SignalKind.CONDITION),
        running_states=running,
        since=spans[0].start,
        until=cutoff,
    )
    baseline = fit_baseline(
        machine.id,
        samples,
        trained_from=spans[0].start,
        trained_until=cutoff,
        min_samples=settings.baseline_min_samples,
    )
    if baseline is None:
        return None
    # Scoring starts with the training data, so the history shows what normal looked like.
    scored_until = window_floor(baseline.trained_from, settings.window)
    await save_baseline(conn, baseline=baseline, scored_until=scored_until)
    return StoredBaseline(baseline, scored_until)


async def _score_new_windows(
    conn: Connection,
    stored: StoredBaseline,
    running: Collection[int],
    settings: AnomalySettings,
    *,
    now: datetime,
) -> int:
    """Score the windows completed since the last cycle; returns how many were stored."""
    complete_until = window_floor(now - settings.settle, settings.window)
    if complete_until <= stored.scored_until:
        return 0
    baseline = stored.baseline
    windows = await running_condition_windows(
        conn,
        machine_id=baseline.machine_id,
        signals=[s.signal for s in baseline.signals],
        running_states=running,
        since=stored.scored_until,
        until=complete_until,
        width=settings.window,
        origin=WINDOW_ORIGIN,
    )
    scores = score_windows(baseline, windows, min_samples=settings.min_window_samples)
    async with conn.transaction():
        await insert_scores(conn, scores=scores)
        await advance_scoring(conn, machine_id=baseline.machine_id, scored_until=complete_until)
    return len(scores)


async def refresh_anomaly(
    conn: Connection, plant: Plant, settings: AnomalySettings, *, now: datetime
) -> AnomalyProgress:
    """Fit missing baselines where enough running data exists, then score new windows."""
    machines: Sequence[Machine] = [
        p.machine for p in plant.placements() if p.machine.signals_of(SignalKind.CONDITION)
    ]
    running = running_states(plant)
    stored = await load_baselines(conn, machine_ids=[m.id for m in machines])
    fitted: list[str] = []
    learning: list[str] = []
    scores = 0
    for machine in machines:
        entry = stored.get(machine.id)
        if entry is None:
            entry = await _fit(conn, machine, running, settings, now=now)
            if entry is None:
                learning.append(machine.id)
                continue
            fitted.append(machine.id)
        scores += await _score_new_windows(conn, entry, running, settings, now=now)
    return AnomalyProgress(tuple(fitted), tuple(learning), scores)
