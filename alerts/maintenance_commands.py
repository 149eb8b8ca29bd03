"""What people change in planned maintenance: plans, per-machine overrides, and skipping an
occurrence with a reason. Each checks its input and records who did it."""

from __future__ import annotations

from datetime import datetime

from models.maintenance import MaintenancePlan, Occurrence, OccurrenceStatus, TaskOverride
from models.plant import Plant
from models.users import User
from storage import maintenance_store, ticket_store
from storage.connections import Connection


class MaintenanceInputError(ValueError):
    """Input that cannot be carried out as given; the message says why."""


class OccurrenceNotOpen(MaintenanceInputError):
    """The occurrence was done or skipped meanwhile."""


async def save_plan(
    conn: Connection, *, plan: MaintenancePlan, user: User, now: datetime
) -> MaintenancePlan:
    """Create or replace a model's plan; every part must be in the catalogue."""
    unknown = await maintenance_store.unknown_parts(
        conn, part_numbers=sorted({p.part_number for t in plan.tasks for p in t.parts})
    )
    if unknown:
        raise MaintenanceInputError("parts not in the spare-parts catalogue: " + ", ".join(unknown))
    async with conn.transaction():
        return await maintenance_store.save_plan(conn, plan=plan, at=now, by=user.login)


async def put_override(
    conn: Connection, *, plant: Plant, override: TaskOverride, user: User, now: datetime
) -> TaskOverride:
    """Set one machine's exception to its model's plan; the task must be in that plan, and
    an override either disables the task or gives it another interval."""
    model = plant.placement_of(override.machine_id).machine.model
    plan = await maintenance_store.plan_for(conn, machine_model=model)
    if plan is None or plan.task(override.task_key) is None:
        raise MaintenanceInputError(f"the plan of {model} has no task {override.task_key!r}")
    if not override.disabled and override.interval is None:
        raise MaintenanceInputError("an override disables the task or gives another interval")
    stored = override.model_copy(update={"updated_by": user.login})
    async with conn.transaction():
        await maintenance_store.put_override(conn, override=stored, at=now)
    return stored


async def skip_occurrence(
    conn: Connection, *, occurrence: Occurrence, reason: str, user: User, now: datetime
) -> Occurrence:
    """Skip an open occurrence for a stated reason; its ticket hears why. The next
    occurrence counts from now."""
    if not reason.strip():
        raise MaintenanceInputError("skipping a maintenance task needs a reason")
    async with conn.transaction():
        skipped = await maintenance_store.close_occurrence(
            conn,
            occurrence_id=occurrence.id,
            status=OccurrenceStatus.SKIPPED,
            at=now,
            by=user.login,
            reason=reason.strip(),
        )
        if skipped is None:
            raise OccurrenceNotOpen("the task was done or skipped already")
        if skipped.ticket_id is not None:
            await ticket_store.append_event(
                conn,
                ticket_id=skipped.ticket_id,
                at=now,
                kind="maintenance_skipped",
                note=reason.strip(),
                actor=user.login,
            )
    return skipped
