"""GET /api/v1/machines/{id}/anomaly: how unusual the machine looks, and which signals say so."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from alerts.anomaly_rules import SustainedAnomalyRule
from api.access_scope import machine_for, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.schemas.anomaly import AnomalyPublic
from api.score_freshness import ScoreFreshness, score_freshness
from api.time_ranges import resolve_range
from models.anomaly import AnomalyScore
from models.condition_model import LearningProgress, StoredModel
from models.plant import Machine, Plant, SignalKind
from models.states import TimeCategory
from storage import (
    anomaly_store,
    condition_model_store,
    condition_scoring_store,
    forecast_store,
    telemetry_queries,
)
from storage.condition_model_codec import ModelDecodeError
from storage.connections import Connection
from storage.customer_scope import CustomerScope

router = APIRouter(prefix="/machines", tags=["anomaly"])

DEFAULT_HISTORY_SPAN = timedelta(hours=24)
# The analytics process runs the rule with its defaults; the console marks scores against it.
ALERT_THRESHOLD = SustainedAnomalyRule().threshold


@router.get("/{machine_id}/anomaly")
async def anomaly(
    machine_id: str,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    since: Annotated[datetime | None, Query(description="Default: 24 h before until")] = None,
    until: Annotated[datetime | None, Query(description="Default: the newest score")] = None,
) -> AnomalyPublic:
    """The newest score with its contributions, and the score history over the range."""
    placement = machine_for(plant, user, machine_id)
    scope = scope_of(user)
    status, note, learning, model = await _model_state(
        conn, machine_id, placement.machine.signals_of(SignalKind.CONDITION), scope
    )
    latest = (await anomaly_store.latest_scores(conn, machine_ids=[machine_id], scope=scope)).get(
        machine_id
    )
    window = resolve_range(
        since,
        until,
        anchor=latest.time if latest is not None else None,
        default_span=DEFAULT_HISTORY_SPAN,
    )
    history = await anomaly_store.score_history(
        conn, machine_id=machine_id, since=window.since, until=window.end_exclusive, scope=scope
    )
    return AnomalyPublic.of(
        machine_id=machine_id,
        since=window.since,
        until=window.until,
        alert_threshold=ALERT_THRESHOLD,
        status=status,
        note=note,
        learning=learning,
        model=model,
        forecast=(
            await forecast_store.latest_forecasts(conn, machine_ids=[machine_id], scope=scope)
        ).get(machine_id),
        latest=latest,
        freshness=await _freshness(conn, plant, placement.machine, latest, model, scope)
        if latest is not None
        else None,
        history=history,
    )


async def _model_state(
    conn: Connection, machine_id: str, signals: tuple[str, ...], scope: CustomerScope
) -> tuple[str, str, LearningProgress | None, StoredModel | None]:
    """Whether the machine is learning, scoring or cannot be scored, and with what."""
    position = (
        await condition_scoring_store.positions(conn, machine_ids=[machine_id], scope=scope)
    ).get(machine_id)
    try:
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=machine_id, signals=signals, scope=scope
        )
    except ModelDecodeError as error:
        return "unscored", str(error), None, None
    if usable is None:
        progress = position.progress if position is not None else None
        note = position.note if position is not None else "waiting for the first data"
        return "learning", note, progress, None
    return "scoring", usable.note, None, usable.stored


async def _freshness(
    conn: Connection,
    plant: Plant,
    machine: Machine,
    latest: AnomalyScore,
    model: StoredModel | None,
    scope: CustomerScope,
) -> ScoreFreshness:
    """The newest score against the machine's newest sample and its state now."""
    newest = await telemetry_queries.latest_values(
        conn, machine_ids=[machine.id], signals=[s.name for s in machine.signals], scope=scope
    )
    state = next((v.value for v in newest if v.signal == "state"), None)
    position = (
        await condition_scoring_store.positions(conn, machine_ids=[machine.id], scope=scope)
    ).get(machine.id)
    return score_freshness(
        score_time=latest.time,
        analysed_until=position.scored_until if position is not None else None,
        newest_sample=max((v.time for v in newest), default=None),
        state=int(state) if state is not None else None,
        running_states={
            s for s, category in plant.state_categories.items() if category is TimeCategory.RUNNING
        },
        observation_width=timedelta(seconds=model.model.observation_width_s)
        if model is not None
        else None,
    )
