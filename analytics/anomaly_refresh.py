"""Learning each machine's condition model, then scoring new and late-touched observations.

A machine without an active model is learning: each cycle counts its running
observations (and running time) against what training needs and stores that
progress, so the API and console can show it. Once both are reached, the first
model is trained on them and promoted.

A machine with a model is scored from ``scored_until`` on: the observations
(windows of running time, ``observation_width_s`` wide) that completed since,
one piece per transaction, through the streaming scorer, whose state is stored
with the position. A window is complete once ``settle`` has passed after its
end, which leaves late samples from a slower collector time to arrive.

Data later still leaves a late-data mark; each cycle takes the marks of its
machines and moves ``scored_until`` back to the window of the oldest new sample,
so those observations are scored again and their stored scores replaced. The
scorer state is not rewound with it: it changes slowly, by design.

A model that no longer loads, or whose signals the plant file dropped, is
skipped for the newest earlier version that works; the position's note says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from analytics.condition_observations import batch_from_windows, settling
from analytics.condition_refresh_context import (
    AnomalySettings,
    RefreshContext,
    running_states,
    running_windows,
    signal_directions,
)
from analytics.condition_scoring import score_batch
from analytics.condition_training import TrainingError, fit_condition_model
from analytics.forecast_refresh import refresh_forecast
from analytics.library_versions import detector_library_versions
from analytics.model_retraining import retrain_if_due
from analytics.observation_windows import WINDOW_ORIGIN, observation_width, window_floor
from analytics.recompute_plan import RecomputeSettings, rescoring_start, window_pieces
from models.condition_model import (
    ConditionModel,
    LearningProgress,
    ModelStatus,
    ScorerState,
    StoredModel,
)
from models.plant import Machine, Plant, SignalKind
from models.telemetry_series import ConditionWindow
from storage import (
    condition_model_store,
    condition_scoring_store,
)
from storage.anomaly_store import replace_scores
from storage.condition_model_codec import ModelDecodeError, state_from_json, state_to_json
from storage.condition_scoring_store import ScoringPosition
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER
from storage.running_condition_reader import (
    first_sample_time,
    sample_spacing,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnomalyProgress:
    """What one anomaly refresh did."""

    models_trained: tuple[str, ...]
    still_learning: tuple[LearningProgress, ...]
    scores_stored: int
    # Machines whose already looked-at observations late data sent back for scoring.
    rescored_machines: tuple[str, ...] = ()
    # Machines that cannot be scored (no usable model), with the reason.
    unscored: tuple[tuple[str, str], ...] = ()


async def _learn(
    conn: Connection, ctx: RefreshContext, machine: Machine
) -> StoredModel | LearningProgress:
    """Train and promote the first model when there is enough running data; else progress."""
    signals = machine.signals_of(SignalKind.CONDITION)
    detector = ctx.settings.detector
    needed = detector.observations_needed(len(signals))
    start = await first_sample_time(conn, machine_id=machine.id, signals=signals)
    spacing = await sample_spacing(conn, machine_id=machine.id, signal=signals[0])
    width = observation_width(spacing, ctx.settings.min_observation_width)
    running_needed = max(ctx.settings.min_training_running, width * needed)
    windows: list[ConditionWindow] = []
    if start is not None:
        until = window_floor(ctx.now - ctx.settings.settle, width)
        windows = await running_windows(
            conn, ctx, machine, since=window_floor(start, width), until=until, width=width
        )
    # Warm-up after restarts is not trained on, so it does not count as seen.
    seen = sum(
        settling(
            [w.end for w in windows],
            width_s=width.total_seconds(),
            gap_observations=detector.restart_gap_observations,
            settle=detector.settle_observations,
            last_time=None,
            since_restart=0,
        ).settled
    )
    progress = LearningProgress(
        machine.id,
        seen,
        needed,
        seen * width.total_seconds(),
        running_needed.total_seconds(),
    )
    if seen < needed or progress.running_seconds_seen < progress.running_seconds_needed:
        await condition_scoring_store.save_learning(conn, progress=progress, note="learning")
        return progress
    try:
        model = fit_condition_model(
            machine.id,
            batch_from_windows(windows, signals),
            directions=signal_directions(ctx.plant, machine),
            settings=detector,
            observation_width_s=width.total_seconds(),
            library_versions=detector_library_versions(),
        )
    except TrainingError as error:
        await condition_scoring_store.save_learning(
            conn, progress=progress, note=f"training failed: {error}"
        )
        return progress
    return await condition_model_store.insert_model(
        conn, model=model, status=ModelStatus.ACTIVE, reason="first model"
    )


def _start_of(model: ConditionModel, position: ScoringPosition | None) -> datetime:
    width = timedelta(seconds=model.observation_width_s)
    if position is None or position.scored_until is None:
        # The history shows the training stretch scored too: what normal looked like.
        return window_floor(model.trained_from, width) - width
    # A new version carries on where the last one stopped; history is not re-scored.
    return window_floor(position.scored_until, width)


def _state_for(
    model: ConditionModel, position: ScoringPosition | None, model_id: int
) -> ScorerState:
    if position is not None and position.model_id == model_id and position.state is not None:
        state = state_from_json(position.state, model)
        if state is not None:
            return state
    return ScorerState.fresh(model)


async def _score(
    conn: Connection,
    ctx: RefreshContext,
    machine: Machine,
    stored: StoredModel,
    position: ScoringPosition | None,
    note: str,
) -> int:
    """Score the complete observations since the position, one piece per transaction."""
    model = stored.model
    width = timedelta(seconds=model.observation_width_s)
    since = _start_of(model, position)
    state = _state_for(model, position, stored.id)
    if state.last_time is not None and since < state.last_time:
        state = await _settled_as_of(conn, ctx, machine, model, state, since)
    complete_until = window_floor(ctx.now - ctx.settings.settle, width)
    stored_scores = 0
    for piece in window_pieces(since, complete_until, chunk=ctx.recompute.chunk, width=width):
        windows = await running_windows(
            conn, ctx, machine, since=piece.start, until=piece.end, width=width
        )
        scores, state = score_batch(
            model, state, batch_from_windows(windows, model.signals), model_version=stored.version
        )
        async with conn.transaction():
            await replace_scores(
                conn, machine_id=machine.id, since=piece.start, until=piece.end, scores=scores
            )
            await condition_scoring_store.save_position(
                conn,
                machine_id=machine.id,
                model_id=stored.id,
                scored_until=piece.end,
                state=state_to_json(state) | {"observation_width_s": model.observation_width_s},
                note=note,
            )
        stored_scores += len(scores)
    if stored_scores:
        await refresh_forecast(conn, ctx, machine, model, state, until=complete_until)
    await retrain_if_due(conn, ctx, machine, state)
    return stored_scores


async def _settled_as_of(
    conn: Connection,
    ctx: RefreshContext,
    machine: Machine,
    model: ConditionModel,
    state: ScorerState,
    since: datetime,
) -> ScorerState:
    """The state with its warm-up count as of ``since``, for scoring again from there.

    The stored state's count is that of its latest observation: a restart seen after
    ``since`` (a gap late data has since filled) must not mark the re-scored
    observations as warm-up, nor may a restart before them be missed. Read far enough
    back that fewer than ``settle_observations`` observations there follow a restart gap.
    """
    width = timedelta(seconds=model.observation_width_s)
    lookback = width * (model.settle_observations + 2) * model.restart_gap_observations
    windows = await running_windows(
        conn, ctx, machine, since=window_floor(since - lookback, width), until=since, width=width
    )
    warm = settling(
        [w.end for w in windows],
        width_s=model.observation_width_s,
        gap_observations=model.restart_gap_observations,
        settle=model.settle_observations,
        last_time=None,
        since_restart=0,
    )
    return replace(state, last_time=warm.last_time, since_restart=warm.since_restart)


async def _rewind_late_data(
    conn: Connection, ctx: RefreshContext, positions: Mapping[str, ScoringPosition]
) -> list[str]:
    """Move scoring back to where late data begins; returns the machines moved."""
    rescored: list[str] = []
    async with conn.transaction():
        marks = await condition_scoring_store.take_late_data(conn, machine_ids=list(positions))
        for machine_id, since in marks.items():
            position = positions.get(machine_id)
            if position is None or position.scored_until is None or position.state is None:
                continue
            width = timedelta(seconds=_width_of(position))
            start = rescoring_start(
                since,
                first_window=WINDOW_ORIGIN,
                now=ctx.now,
                width=width,
                settings=ctx.recompute,
            )
            if start < position.scored_until:
                await condition_scoring_store.rewind_scoring(
                    conn, machine_id=machine_id, scored_until=start
                )
                rescored.append(machine_id)
    return rescored


def _width_of(position: ScoringPosition) -> float:
    assert position.state is not None
    return float(position.state.get("observation_width_s", 60.0))


async def refresh_anomaly(
    conn: Connection,
    plant: Plant,
    settings: AnomalySettings,
    *,
    now: datetime,
    recompute: RecomputeSettings | None = None,
    machine_ids: Sequence[str] | None = None,
) -> AnomalyProgress:
    """Train missing models where enough running data exists, then score the
    observations completed since the last cycle and those late data touched.

    ``machine_ids`` limits the refresh to this process's share of the fleet.
    """
    recompute = recompute or RecomputeSettings()
    ctx = RefreshContext(plant, settings, running_states(plant), now, recompute)
    machines = [
        p.machine
        for p in plant.placements()
        if p.machine.signals_of(SignalKind.CONDITION)
        and (machine_ids is None or p.machine.id in machine_ids)
    ]
    positions = await condition_scoring_store.positions(
        conn, machine_ids=[m.id for m in machines], scope=EVERY_CUSTOMER
    )
    rescored = await _rewind_late_data(conn, ctx, positions)
    if rescored:
        positions = await condition_scoring_store.positions(
            conn, machine_ids=[m.id for m in machines], scope=EVERY_CUSTOMER
        )
    trained: list[str] = []
    learning: list[LearningProgress] = []
    unscored: list[tuple[str, str]] = []
    scores = 0
    for machine in machines:
        try:
            usable = await condition_model_store.load_usable_model(
                conn,
                machine_id=machine.id,
                signals=machine.signals_of(SignalKind.CONDITION),
                scope=EVERY_CUSTOMER,
            )
        except ModelDecodeError as error:
            log.warning("machine %s cannot be scored: %s", machine.id, error)
            unscored.append((machine.id, str(error)))
            continue
        if usable is None:
            learned = await _learn(conn, ctx, machine)
            if isinstance(learned, LearningProgress):
                learning.append(learned)
                continue
            trained.append(machine.id)
            stored, note = learned, ""
        else:
            stored, note = usable.stored, usable.note
            if note:
                log.warning("machine %s: %s", machine.id, note)
        scores += await _score(conn, ctx, machine, stored, positions.get(machine.id), note)
    return AnomalyProgress(
        tuple(trained), tuple(learning), scores, tuple(rescored), tuple(unscored)
    )
