"""Planned maintenance: plans per machine model, per-machine overrides, a line's maintenance
calendar, and skipping a task with a reason.

Customers read the plans of their own machines' models and their own lines' calendars
(another customer's line or machine is 404); support and admins edit plans and
overrides; the desk, support and admins skip tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from alerts.maintenance_calendar import line_calendar
from alerts.maintenance_commands import (
    MaintenanceInputError,
    OccurrenceNotOpen,
    put_override,
    save_plan,
    skip_occurrence,
)
from api.access_scope import can_see, line_for, machine_for, not_found, scope_of, visible_lines
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.schemas.maintenance import (
    CalendarEntryPublic,
    CalendarPublic,
    MaintenancePlan,
    OccurrencePublic,
    OverrideBody,
    SkipBody,
    TaskOverride,
)
from api.ticket_clock import NowDep
from models.maintenance import TASK_KEY_PATTERN
from models.plant import Plant
from models.users import Role, User
from storage import maintenance_store, ticket_store

router = APIRouter(prefix="/maintenance", tags=["maintenance"])

_EDITORS = frozenset({Role.SUPPORT, Role.ADMIN})
_SKIPPERS = frozenset({Role.SUPPORT, Role.ADMIN, Role.DESK})
_DEFAULT_PAST = timedelta(days=30)
_DEFAULT_AHEAD = timedelta(days=90)
_LONGEST_SPAN = timedelta(days=800)

TaskKey = Annotated[str, Path(pattern=TASK_KEY_PATTERN)]


def _visible_models(plant: Plant, user: User) -> set[str]:
    return {m.model for p in visible_lines(plant, user) for m in p.line.machines}


def _may_see_machine(plant: Plant, user: User, machine_id: str) -> bool:
    try:
        return can_see(user, plant.placement_of(machine_id).customer.id)
    except KeyError:  # the plant file no longer names the machine
        return user.role is not Role.CUSTOMER


def _require(user: User, roles: frozenset[Role], action: str) -> None:
    if user.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} cannot {action}")


@router.get("/plans")
async def list_plans(user: CurrentUser, conn: ConnDep, plant: PlantDep) -> list[MaintenancePlan]:
    """The plans of the machine models the user may see (customers: their own machines')."""
    models = _visible_models(plant, user)
    plans = await maintenance_store.list_plans(conn)
    return [p for p in plans if user.role is not Role.CUSTOMER or p.machine_model in models]


@router.get("/plans/{machine_model}")
async def get_plan(
    machine_model: str, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> MaintenancePlan:
    """The maintenance plan of a machine model: its tasks and their intervals; a model no
    line of a customer's has answers 404 to that customer."""
    plan = await maintenance_store.plan_for(conn, machine_model=machine_model)
    if plan is None or (
        user.role is Role.CUSTOMER and machine_model not in _visible_models(plant, user)
    ):
        raise not_found("maintenance plan", repr(machine_model))
    return plan


@router.put("/plans/{machine_model}")
async def put_plan(
    machine_model: str, body: MaintenancePlan, user: CurrentUser, conn: ConnDep, now: NowDep
) -> MaintenancePlan:
    """Create or replace a model's plan (support, admin); parts must be in the catalogue."""
    _require(user, _EDITORS, "edit maintenance plans")
    if body.machine_model != machine_model:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the plan is for {body.machine_model!r}, not {machine_model!r}",
        )
    await conn.commit()  # the change's transaction must be its own
    try:
        return await save_plan(conn, plan=body, user=user, now=now)
    except MaintenanceInputError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


@router.get("/overrides")
async def list_overrides(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    page: PageDep,
    request: Request,
    response: Response,
    line_id: Annotated[
        str | None, Query(max_length=200, description="Only this line's machines")
    ] = None,
) -> list[TaskOverride]:
    """Per-machine overrides on the user's lines (or on one line), by machine and task, a
    page at a time (``Link`` header)."""
    lines = [line_for(plant, user, line_id)] if line_id else visible_lines(plant, user)
    machine_ids = [m.id for p in lines for m in p.line.machines]
    found = await maintenance_store.list_overrides(
        conn, machine_ids=machine_ids, limit=page.fetch_limit, offset=page.offset
    )
    return page_of(found, page, request, response)


@router.put("/overrides/{machine_id}/{task_key}")
async def put_machine_override(
    machine_id: str,
    task_key: TaskKey,
    body: OverrideBody,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> TaskOverride:
    """Change a task's interval for one machine, or disable it there (support, admin)."""
    machine_for(plant, user, machine_id)  # 404 for another customer's machine
    _require(user, _EDITORS, "override maintenance plans")
    override = TaskOverride(
        machine_id=machine_id,
        task_key=task_key,
        interval=body.interval,
        disabled=body.disabled,
        reason=body.reason,
    )
    await conn.commit()
    try:
        return await put_override(conn, plant=plant, override=override, user=user, now=now)
    except MaintenanceInputError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


@router.delete("/overrides/{machine_id}/{task_key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_machine_override(
    machine_id: str, task_key: TaskKey, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> Response:
    """The machine follows its model's plan again (support, admin)."""
    machine_for(plant, user, machine_id)
    _require(user, _EDITORS, "override maintenance plans")
    deleted = await maintenance_store.delete_override(
        conn, machine_id=machine_id, task_key=task_key
    )
    await conn.commit()
    if not deleted:
        raise not_found("override", f"{machine_id}/{task_key}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/calendar")
async def maintenance_calendar(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    line_id: str,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
) -> CalendarPublic:
    """A line's maintenance from ``from`` to ``to`` (default: 30 days back, 90 ahead): due,
    planned, overdue, done (late) and skipped tasks, and every task still open."""
    placement = line_for(plant, user, line_id)
    since = since or now - _DEFAULT_PAST
    until = until or now + _DEFAULT_AHEAD
    if since.tzinfo is None or until.tzinfo is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "from and to need a time zone offset"
        )
    if not timedelta() < until - since <= _LONGEST_SPAN:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"to must come after from, at most {_LONGEST_SPAN.days} days later",
        )
    entries = await line_calendar(conn, placement.line, since=since, until=until, now=now)
    names = {m.id: m.name for m in placement.line.machines}
    numbers: dict[int, str] = {}
    for ticket_id in {e.ticket_id for e in entries if e.ticket_id is not None}:
        ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=scope_of(user))
        if ticket is not None:
            numbers[ticket_id] = ticket.number
    return CalendarPublic(
        line_id=placement.line.id,
        line_name=placement.line.name,
        since=since,
        until=until,
        now=now,
        entries=[
            CalendarEntryPublic.of(
                e,
                machine_name=names.get(e.machine_id, e.machine_id),
                ticket_number=numbers.get(e.ticket_id) if e.ticket_id is not None else None,
            )
            for e in entries
        ],
    )


@router.post("/tasks/{occurrence_id}/skip")
async def skip_task(
    occurrence_id: int,
    body: SkipBody,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> OccurrencePublic:
    """Skip an open task occurrence with a reason (desk, support, admin); it shows as
    skipped on the calendar and its ticket hears why."""
    occurrence = await maintenance_store.get_occurrence(conn, occurrence_id=occurrence_id)
    if occurrence is None or not _may_see_machine(plant, user, occurrence.machine_id):
        raise not_found("maintenance task", occurrence_id)
    _require(user, _SKIPPERS, "skip maintenance tasks")
    await conn.commit()
    try:
        skipped = await skip_occurrence(
            conn, occurrence=occurrence, reason=body.reason, user=user, now=now
        )
    except OccurrenceNotOpen as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except MaintenanceInputError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    return OccurrencePublic.of(skipped)
