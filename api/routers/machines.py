"""GET /api/v1/machines/{id}/live and /trend: what a machine's signals read now and over time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access_scope import machine_for, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep, trend_cache_of
from api.schemas.telemetry import MachineLivePublic, TrendPublic
from api.time_ranges import resolve_range
from models.plant import Machine, SignalSpec
from storage import telemetry_queries

router = APIRouter(prefix="/machines", tags=["machines"])

DEFAULT_TREND_SPAN = timedelta(hours=1)


def _signal_spec(machine: Machine, signal: str) -> SignalSpec:
    spec = next((s for s in machine.signals if s.name == signal), None)
    if spec is None:
        raise not_found("signal", f"{signal!r} of machine {machine.id!r}")
    return spec


@router.get("/{machine_id}/live")
async def live_values(
    machine_id: str, user: CurrentUser, plant: PlantDep, conn: ConnDep
) -> MachineLivePublic:
    """The newest value, time and quality of every signal, coded values named."""
    placement = machine_for(plant, user, machine_id)
    latest = await telemetry_queries.latest_values(
        conn,
        machine_ids=[placement.machine.id],
        signals=[s.name for s in placement.machine.signals],
        scope=scope_of(user),
    )
    return MachineLivePublic.of(placement, latest, plant)


@router.get("/{machine_id}/trend")
async def trend(
    machine_id: str,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    request: Request,
    signal: Annotated[str, Query(min_length=1, description="Signal name, e.g. bearing_temp")],
    since: Annotated[datetime | None, Query(description="Default: one hour before until")] = None,
    until: Annotated[datetime | None, Query(description="Default: the newest sample")] = None,
) -> TrendPublic:
    """One signal over a range: raw samples for short ranges, the 1-minute rollup for long."""
    placement = machine_for(plant, user, machine_id)
    spec = _signal_spec(placement.machine, signal)
    scope = scope_of(user)
    anchor = None
    if until is None:
        anchor = await telemetry_queries.latest_time(
            conn, machine_ids=[machine_id], signal=signal, scope=scope
        )
    window = resolve_range(since, until, anchor=anchor, default_span=DEFAULT_TREND_SPAN)
    points = await telemetry_queries.trend(
        conn,
        machine_id=machine_id,
        signal=signal,
        since=window.since,
        until=window.until,
        scope=scope,
        cache=trend_cache_of(request),
    )
    return TrendPublic.of(
        machine_id=machine_id, spec=spec, since=window.since, until=window.until, trend=points
    )
