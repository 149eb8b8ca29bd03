"""GET /api/v1/machines/{id}/trends and /contributions: any range, reduced in the database.

The older ``/trend`` (one signal, api/routers/machines.py) keeps its contract;
these draw several signals on one grid, a sister machine beside them and the
healthy baseline, at no more than ``points`` buckets whatever the range.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from api.access_scope import machine_for, not_found, scope_of, visible_lines
from api.deps import ConnDep, CurrentUser, PlantDep, plant_of, trend_cache_of
from api.schemas.trends import (
    BaselinePublic,
    ContributionsPublic,
    SeriesPublic,
    TrendsPublic,
    grid_times,
    seconds,
)
from api.time_ranges import TimeRange, resolve_range
from api.trends_json import trends_document
from models.plant import Machine, Plant, SignalKind
from models.users import User
from storage import (
    anomaly_store,
    condition_model_store,
    telemetry_queries,
    trend_queries,
    trend_reader,
)
from storage.condition_model_codec import ModelDecodeError
from storage.connections import Connection
from storage.customer_scope import CustomerScope

router = APIRouter(prefix="/machines", tags=["trends"])

DEFAULT_SPAN = timedelta(hours=24)
DEFAULT_POINTS = 1000
MAX_POINTS = 5000
MAX_SIGNALS = 12

Points = Annotated[
    int,
    Query(ge=2, le=MAX_POINTS, description="At most this many buckets (a chart's width)"),
]
Since = Annotated[datetime | None, Query(alias="from", description="Default: 24 h before to")]
Until = Annotated[datetime | None, Query(alias="to", description="Default: the newest sample")]


def _signal_names(machine: Machine, signals: str | None) -> list[str]:
    """The requested signals, in order and once each; all numeric ones when none are named."""
    if signals is None:
        return [s.name for s in machine.signals if s.kind is SignalKind.CONDITION]
    names = list(dict.fromkeys(name.strip() for name in signals.split(",") if name.strip()))
    if not names:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "signals names no signal")
    if len(names) > MAX_SIGNALS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"at most {MAX_SIGNALS} signals per request"
        )
    known = {s.name for s in machine.signals}
    for name in names:
        if name not in known:
            raise not_found("signal", f"{name!r} of machine {machine.id!r}")
    return names


def _sister(plant: Plant, user: User, machine: Machine, compare: str) -> Machine:
    other = machine_for(plant, user, compare).machine
    if other.id == machine.id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "compare names the machine itself"
        )
    return other


async def _window(
    conn: Connection,
    machine_ids: list[str],
    signals: list[str],
    since: datetime | None,
    until: datetime | None,
    scope: CustomerScope,
) -> TimeRange:
    anchor = None
    if until is None:
        latest = await telemetry_queries.latest_values(
            conn, machine_ids=machine_ids, signals=signals, scope=scope
        )
        anchor = max((v.time for v in latest), default=None)
    return resolve_range(since, until, anchor=anchor, default_span=DEFAULT_SPAN)


async def _baseline(
    conn: Connection, machine: Machine, signals: list[str], scope: CustomerScope
) -> BaselinePublic | None:
    try:
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=machine.id, signals=[s.name for s in machine.signals], scope=scope
        )
    except ModelDecodeError:
        return None
    if usable is None:
        return None
    return BaselinePublic.of(usable.stored.version, usable.stored.model, signals)


@router.get("/{machine_id}/trends", response_model=TrendsPublic)
async def trends(
    machine_id: str,
    user: CurrentUser,
    conn: ConnDep,
    request: Request,
    signals: Annotated[
        str | None,
        Query(description="Comma-separated signal names; default: the condition signals"),
    ] = None,
    since: Since = None,
    until: Until = None,
    points: Points = DEFAULT_POINTS,
    compare: Annotated[
        str | None, Query(description="Another machine the user may see, e.g. a sister")
    ] = None,
    baseline: Annotated[bool, Query(description="Add the healthy baseline")] = False,
) -> Response:
    """Each signal's average, minimum and maximum per bucket, on one grid of at most
    ``points`` buckets; a one-second spike survives in a month of 1 Hz data."""
    # The app's plant and cache are read here rather than asked for as dependencies:
    # each dependency costs FastAPI some 35 µs a request, on the most frequent route.
    plant, cache = plant_of(request), trend_cache_of(request)
    machine = machine_for(plant, user, machine_id).machine
    names = _signal_names(machine, signals)
    other = _sister(plant, user, machine, compare) if compare is not None else None
    if other is not None:
        _signal_names(other, ",".join(names))
    scope = scope_of(user)
    window = await _window(conn, [machine.id], names, since, until, scope)
    grid = trend_queries.bucket_grid(window.since, window.until, points=points)

    async def aligned(of: Machine) -> trend_reader.AlignedJson:
        series = await trend_reader.aligned_json(
            conn, machine_id=of.id, signals=names, grid=grid, scope=scope, cache=cache
        )
        if series is None:  # the route's check and the query's disagree: show nothing
            raise not_found("machine", repr(of.id))
        return series

    document = trends_document(
        machine=machine,
        grid=grid,
        source="raw" if trend_queries.rollup_level(grid) is None else "rollup",
        aligned=await aligned(machine),
        compare=(other, await aligned(other)) if other is not None else None,
        baseline=await _baseline(conn, machine, names, scope) if baseline else None,
    )
    return Response(document, media_type="application/json")


@router.get("/{machine_id}/sisters")
async def sisters(machine_id: str, user: CurrentUser, plant: PlantDep) -> list[str]:
    """Other machines of the same model the user may see, to compare with."""
    machine = machine_for(plant, user, machine_id).machine
    return [
        other.id
        for placement in visible_lines(plant, user)
        for other in placement.line.machines
        if other.model == machine.model and other.id != machine.id
    ]


@router.get("/{machine_id}/contributions")
async def contributions(
    machine_id: str,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    since: Since = None,
    until: Until = None,
    points: Points = DEFAULT_POINTS,
) -> ContributionsPublic:
    """Each signal's share of the anomaly score over time, per bucket: average, minimum
    and maximum of the shares of the scores in it."""
    machine = machine_for(plant, user, machine_id).machine
    scope = scope_of(user)
    anchor = None
    if until is None:
        latest = (
            await anomaly_store.latest_scores(conn, machine_ids=[machine.id], scope=scope)
        ).get(machine.id)
        anchor = latest.time if latest is not None else None
    window = resolve_range(since, until, anchor=anchor, default_span=DEFAULT_SPAN)
    grid = trend_queries.bucket_grid(window.since, window.until, points=points)
    times = grid_times(grid)
    buckets = await trend_queries.contribution_buckets(
        conn, machine_id=machine.id, grid=grid, scope=scope
    )
    return ContributionsPublic(
        machine_id=machine.id,
        since=window.since,
        until=window.until,
        bucket_s=seconds(grid.width),
        times=times,
        series=[SeriesPublic.on_grid(times, b, unit="", kind=None) for b in buckets],
    )
