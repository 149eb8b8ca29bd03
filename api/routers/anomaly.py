"""GET /api/machines/{id}/anomaly: how unusual the machine looks, and which signals say so."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from alerts.anomaly_rules import SustainedAnomalyRule
from api.access_scope import machine_for
from api.deps import ConnDep, CurrentUser, PlantDep
from api.schemas.anomaly import AnomalyPublic
from api.time_ranges import resolve_range
from storage import anomaly_store

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
    machine_for(plant, user, machine_id)
    latest = (await anomaly_store.latest_scores(conn, machine_ids=[machine_id])).get(machine_id)
    window = resolve_range(
        since,
        until,
        anchor=latest.time if latest is not None else None,
        default_span=DEFAULT_HISTORY_SPAN,
    )
    history = await anomaly_store.score_history(
        conn, machine_id=machine_id, since=window.since, until=window.end_exclusive
    )
    return AnomalyPublic.of(
        machine_id=machine_id,
        since=window.since,
        until=window.until,
        alert_threshold=ALERT_THRESHOLD,
        latest=latest,
        history=history,
    )
