"""Fitting machine baselines once, then scoring new and late-touched windows.

A machine gets its baseline as soon as it has run long enough. From then on,
each cycle scores the windows that have completed since the last cycle
(``scored_until`` in the baseline row), so the work per cycle is one
aggregate query per machine over a few minutes of data. A window is complete
once ``settle`` has passed after its end, which leaves late samples from a
slower collector time to arrive.

Data that arrives later still (a collector's spool draining after a database
outage, a gateway uploading its buffer) leaves a late-data mark, as for OEE.
Each cycle first takes the marks and, in the same short transaction, moves
``scored_until`` of each marked machine back to the window holding its oldest
new sample (``analytics.recompute_plan.rescoring_start``). Scoring from there
replaces the stored scores of those windows, so a window scored on part of its
data is corrected and a window that had none gets its score. A cycle that fails
leaves ``scored_until`` back, and the next one scores again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analytics.anomaly_baseline import fit_baseline, running_intervals, running_time_reached
from analytics.anomaly_scoring import WINDOW_ORIGIN, score_windows, window_floor
from analytics.recompute_plan import RecomputeSettings, rescoring_start, window_pieces
from models.plant import Machine, Plant, SignalKind
from models.states import TimeCategory
from storage.anomaly_store import (
    StoredBaseline,
    advance_scoring,
    load_baselines,
    replace_scores,
    rewind_scoring,
    save_baseline,
    take_late_data,
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
    # Machines whose already looked-at windows late data sent back for scoring.
    rescored_machines: tuple[str, ...] = ()


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


async def _take_late_data(
    conn: Connection,
    machine_ids: Sequence[str],
    settings: AnomalySettings,
    *,
    now: datetime,
    recompute: RecomputeSettings,
) -> tuple[dict[str, StoredBaseline], list[str]]:
    """The machines' baselines, with scoring moved back to where late data begins.

    Marks of machines without a baseline are dropped: their first scoring, once
    fitted, reads everything there is.
    """
    rescored: list[str] = []
    async with conn.transaction():
        marks = await take_late_data(conn)
        stored = await load_baselines(conn, machine_ids=machine_ids)
        for machine_id, entry in stored.items():
            if machine_id not in marks:
                continue
            start = rescoring_start(
                marks[machine_id],
                first_window=window_floor(entry.baseline.trained_from, settings.window),
                now=now,
                width=settings.window,
                settings=recompute,
            )
            if start < entry.scored_until:
                await rewind_scoring(conn, machine_id=machine_id, scored_until=start)
                stored[machine_id] = StoredBaseline(entry.baseline, start)
                rescored.append(machine_id)
    return stored, rescored


async def _score_windows(
    conn: Connection,
    stored: StoredBaseline,
    running: Collection[int],
    settings: AnomalySettings,
    *,
    now: datetime,
    chunk: timedelta,
) -> int:
    """Score the complete windows from ``scored_until`` on, replacing earlier scores of
    them, one piece per transaction; returns how many scores were stored."""
    complete_until = window_floor(now - settings.settle, settings.window)
    baseline = stored.baseline
    stored_scores = 0
    for piece in window_pieces(
        stored.scored_until, complete_until, chunk=chunk, width=settings.window
    ):
        windows = await running_condition_windows(
            conn,
            machine_id=baseline.machine_id,
            signals=[s.signal for s in baseline.signals],
            running_states=running,
            since=piece.start,
            until=piece.end,
            width=settings.window,
            origin=WINDOW_ORIGIN,
        )
        scores = score_windows(baseline, windows, min_samples=settings.min_window_samples)
        async with conn.transaction():
            await replace_scores(
                conn,
                machine_id=baseline.machine_id,
                since=piece.start,
                until=piece.end,
                scores=scores,
            )
            await advance_scoring(conn, machine_id=baseline.machine_id, scored_until=piece.end)
        stored_scores += len(scores)
    return stored_scores


async def refresh_anomaly(
    conn: Connection,
    plant: Plant,
    settings: AnomalySettings,
    *,
    now: datetime,
    recompute: RecomputeSettings | None = None,
) -> AnomalyProgress:
    """Fit missing baselines where enough running data exists, then score the windows
    completed since the last cycle and those late data touched."""
    recompute = recompute or RecomputeSettings()
    machines: Sequence[Machine] = [
        p.machine for p in plant.placements() if p.machine.signals_of(SignalKind.CONDITION)
    ]
    running = running_states(plant)
    stored, rescored = await _take_late_data(
        conn, [m.id for m in machines], settings, now=now, recompute=recompute
    )
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
        scores += await _score_windows(
            conn, entry, running, settings, now=now, chunk=recompute.chunk
        )
    return AnomalyProgress(tuple(fitted), tuple(learning), scores, tuple(rescored))
