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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from analytics.condition_observations import batch_from_windows, settling
from analytics.condition_scoring import score_batch
from analytics.condition_training import DetectorSettings, TrainingError, fit_condition_model
from analytics.degradation_forecast import ForecastSettings, SignalLimits, forecast_health
from analytics.library_versions import detector_library_versions
from analytics.model_lifecycle import LifecycleSettings, retraining_due
from analytics.observation_windows import WINDOW_ORIGIN, observation_width, window_floor
from analytics.operating_regime import REGIME_SIGNALS, with_regimes
from analytics.recompute_plan import RecomputeSettings, rescoring_start, window_pieces
from models.condition_model import (
    ConditionModel,
    LearningProgress,
    ModelStatus,
    ScorerState,
    SignalDirection,
    StoredModel,
)
from models.plant import Machine, Plant, SignalKind
from models.states import TimeCategory
from models.telemetry_series import ConditionWindow
from storage import (
    alert_store,
    anomaly_store,
    condition_model_store,
    condition_scoring_store,
    forecast_store,
    ticket_workflow_store,
)
from storage.anomaly_store import replace_scores
from storage.condition_model_codec import ModelDecodeError, state_from_json, state_to_json
from storage.condition_scoring_store import ScoringPosition
from storage.connections import Connection
from storage.running_condition_reader import (
    first_sample_time,
    running_condition_windows,
    sample_spacing,
)

log = logging.getLogger(__name__)

# The alert rule whose open alert holds retraining back (alerts.anomaly_rules).
ANOMALY_ALERT_RULE = "sustained_anomaly"


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """How much running a first model needs and how observations are formed."""

    detector: DetectorSettings = field(default_factory=DetectorSettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    # Training needs this much running time as well as enough observations.
    min_training_running: timedelta = timedelta(minutes=30)
    # Observations are never narrower than this, however fast the signals are sampled.
    min_observation_width: timedelta = timedelta(seconds=10)
    settle: timedelta = timedelta(minutes=1)


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


def running_states(plant: Plant) -> frozenset[int]:
    """The PackML states the plant counts as running (EXECUTE by default)."""
    return frozenset(s for s, c in plant.state_categories.items() if c is TimeCategory.RUNNING)


@dataclass(frozen=True, slots=True)
class _Context:
    plant: Plant
    settings: AnomalySettings
    running: frozenset[int]
    now: datetime
    recompute: RecomputeSettings


async def _windows(
    conn: Connection,
    ctx: _Context,
    machine: Machine,
    *,
    since: datetime,
    until: datetime,
    width: timedelta,
) -> list[ConditionWindow]:
    windows = await running_condition_windows(
        conn,
        machine_id=machine.id,
        signals=[*machine.signals_of(SignalKind.CONDITION), *REGIME_SIGNALS],
        running_states=ctx.running,
        since=since,
        until=until,
        width=width,
        origin=WINDOW_ORIGIN,
    )
    return with_regimes(windows, ctx.plant.products)


def signal_directions(plant: Plant, machine: Machine) -> dict[str, SignalDirection]:
    """Each condition signal's direction: the machine's own setting, else its model's,
    else both."""
    by_model = plant.condition_directions.get(machine.model, {})
    return {
        s.name: s.direction or by_model.get(s.name, SignalDirection.BOTH)
        for s in machine.signals
        if s.kind == SignalKind.CONDITION
    }


async def _learn(
    conn: Connection, ctx: _Context, machine: Machine
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
        windows = await _windows(
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


async def train_machine_model(
    conn: Connection,
    plant: Plant,
    machine: Machine,
    settings: AnomalySettings,
    *,
    since: datetime | None,
    until: datetime,
    status: ModelStatus,
    reason: str,
) -> StoredModel:
    """Fit a new version on the machine's running data in ``[since, until)`` and store it.

    Raises TrainingError when that stretch holds too little running data.
    """
    signals = machine.signals_of(SignalKind.CONDITION)
    start = since or await first_sample_time(conn, machine_id=machine.id, signals=signals)
    if start is None:
        raise TrainingError("the machine has no condition data yet")
    spacing = await sample_spacing(conn, machine_id=machine.id, signal=signals[0])
    width = observation_width(spacing, settings.min_observation_width)
    ctx = _Context(plant, settings, running_states(plant), until, RecomputeSettings())
    windows = await _windows(
        conn, ctx, machine, since=window_floor(start, width), until=until, width=width
    )
    model = fit_condition_model(
        machine.id,
        batch_from_windows(windows, signals),
        directions=signal_directions(plant, machine),
        settings=settings.detector,
        observation_width_s=width.total_seconds(),
        library_versions=detector_library_versions(),
    )
    return await condition_model_store.insert_model(conn, model=model, status=status, reason=reason)


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
    ctx: _Context,
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
        windows = await _windows(
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
        await _forecast(conn, ctx, machine, model, state, until=complete_until)
    await _retrain_if_due(conn, ctx, machine, state)
    return stored_scores


async def _retrain_if_due(
    conn: Connection, ctx: _Context, machine: Machine, state: ScorerState
) -> None:
    """Retrain on schedule or for new regimes (see ``analytics.model_lifecycle``)."""
    rows = await condition_model_store.versions(conn, machine_id=machine.id)
    try:
        newest = rows[0].decoded()
    except (IndexError, ModelDecodeError):
        return
    repaired_at = await ticket_workflow_store.latest_resolution(conn, machine_id=machine.id)
    if repaired_at is not None and repaired_at > newest.model.trained_until:
        await _new_baseline_after_repair(conn, ctx, machine, repaired_at)
        return
    recent = await anomaly_store.recent_scores(
        conn, machine_id=machine.id, until=ctx.now, limit=ctx.settings.lifecycle.drift_scores
    )
    due = retraining_due(
        newest,
        state,
        recent,
        ctx.settings.lifecycle,
        min_regime_observations=ctx.settings.detector.min_regime_observations,
        now=ctx.now,
    )
    if due is None:
        return
    if await alert_store.find_open_alert(conn, machine_id=machine.id, rule=ANOMALY_ALERT_RULE):
        log.info("machine %s: retraining waits while its anomaly alert is open", machine.id)
        return
    try:
        stored = await train_machine_model(
            conn,
            ctx.plant,
            machine,
            ctx.settings,
            since=ctx.now - ctx.settings.lifecycle.retrain_window,
            until=ctx.now,
            status=due.status,
            reason=due.reason,
        )
    except TrainingError as error:
        log.info("machine %s: retraining not possible yet: %s", machine.id, error)
        return
    log.info(
        "machine %s: version %d stored as %s (%s)",
        machine.id,
        stored.version,
        stored.status.value,
        due.reason,
    )


async def _new_baseline_after_repair(
    conn: Connection, ctx: _Context, machine: Machine, repaired_at: datetime
) -> None:
    """A repaired machine (a new bearing, a new drive) is a new normal: train on its
    running since the repair as soon as there is enough of it."""
    try:
        stored = await train_machine_model(
            conn,
            ctx.plant,
            machine,
            ctx.settings,
            since=repaired_at,
            until=ctx.now,
            status=ModelStatus.ACTIVE,
            reason=f"new baseline after the repair of {repaired_at:%Y-%m-%d %H:%M %Z}",
        )
    except TrainingError as error:
        log.debug("machine %s: new baseline after repair not yet: %s", machine.id, error)
        return
    log.info(
        "machine %s: version %d is the new baseline after the repair", machine.id, stored.version
    )


async def _settled_as_of(
    conn: Connection,
    ctx: _Context,
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
    windows = await _windows(
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


def signal_limits(machine: Machine) -> dict[str, SignalLimits]:
    """The plant file's limits of the machine's condition signals."""
    return {
        s.name: SignalLimits(upper=s.limit, lower=s.lower_limit, unit=s.unit)
        for s in machine.signals
        if s.kind == SignalKind.CONDITION
    }


async def _forecast(
    conn: Connection,
    ctx: _Context,
    machine: Machine,
    model: ConditionModel,
    state: ScorerState,
    *,
    until: datetime,
) -> None:
    """Store the outlook from the latest observations (trend, time to limit, shifts)."""
    settings = ctx.settings.forecast
    width = timedelta(seconds=model.observation_width_s)
    # Running time is gappy: read a generous stretch and keep the latest observations.
    since = until - width * settings.trend_observations * 3
    windows = await _windows(conn, ctx, machine, since=since, until=until, width=width)
    outlook = forecast_health(
        model,
        batch_from_windows(windows[-settings.trend_observations :], model.signals),
        limits=signal_limits(machine),
        settings=settings,
        learned_regimes=state.regimes,
    )
    if outlook is not None:
        await forecast_store.save_forecast(conn, forecast=outlook)


async def _rewind_late_data(
    conn: Connection, ctx: _Context, positions: Mapping[str, ScoringPosition]
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
    ctx = _Context(plant, settings, running_states(plant), now, recompute or RecomputeSettings())
    machines = [
        p.machine
        for p in plant.placements()
        if p.machine.signals_of(SignalKind.CONDITION)
        and (machine_ids is None or p.machine.id in machine_ids)
    ]
    positions = await condition_scoring_store.positions(conn, machine_ids=[m.id for m in machines])
    rescored = await _rewind_late_data(conn, ctx, positions)
    if rescored:
        positions = await condition_scoring_store.positions(
            conn, machine_ids=[m.id for m in machines]
        )
    trained: list[str] = []
    learning: list[LearningProgress] = []
    unscored: list[tuple[str, str]] = []
    scores = 0
    for machine in machines:
        try:
            usable = await condition_model_store.load_usable_model(
                conn, machine_id=machine.id, signals=machine.signals_of(SignalKind.CONDITION)
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
