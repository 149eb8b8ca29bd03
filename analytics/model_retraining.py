"""Training new model versions: on demand, on schedule, for new regimes, after a repair.

When each applies is ``analytics.model_lifecycle``'s decision; this module reads
the running data and stores the version.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from analytics.condition_observations import batch_from_windows
from analytics.condition_refresh_context import (
    AnomalySettings,
    RefreshContext,
    running_states,
    running_windows,
    signal_directions,
)
from analytics.condition_training import TrainingError, fit_condition_model
from analytics.library_versions import detector_library_versions
from analytics.model_lifecycle import retraining_due
from analytics.observation_windows import observation_width, window_floor
from analytics.recompute_plan import RecomputeSettings
from models.condition_model import ModelStatus, ScorerState, StoredModel
from models.plant import Machine, Plant, SignalKind
from storage import alert_store, anomaly_store, condition_model_store, service_report_store
from storage.condition_model_codec import ModelDecodeError
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER
from storage.running_condition_reader import first_sample_time, sample_spacing

log = logging.getLogger(__name__)

# The alert rule whose open alert holds retraining back (alerts.anomaly_rules).
ANOMALY_ALERT_RULE = "sustained_anomaly"


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
    ctx = RefreshContext(plant, settings, running_states(plant), until, RecomputeSettings())
    windows = await running_windows(
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


async def retrain_if_due(
    conn: Connection, ctx: RefreshContext, machine: Machine, state: ScorerState
) -> None:
    """Retrain on schedule or for new regimes (see ``analytics.model_lifecycle``)."""
    rows = await condition_model_store.versions(conn, machine_id=machine.id, scope=EVERY_CUSTOMER)
    try:
        newest = rows[0].decoded()
    except (IndexError, ModelDecodeError):
        return
    # A service report that replaced a monitored part asks for a new baseline from
    # the restore, until a version learned from its window on (a scheduled retraining
    # in between still mixed in the old part); a repair that replaced none leaves the
    # learned normal as it was.
    reset = await service_report_store.latest_baseline_reset(conn, machine_id=machine.id)
    if reset is not None and not await service_report_store.baseline_learned(
        conn,
        machine_id=machine.id,
        since=window_floor(reset.since, timedelta(seconds=newest.model.observation_width_s)),
    ):
        await _new_baseline_after_repair(conn, ctx, machine, reset.since)
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
    conn: Connection, ctx: RefreshContext, machine: Machine, repaired_at: datetime
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
