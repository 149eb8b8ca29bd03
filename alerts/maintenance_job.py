"""The maintenance job of one line: preventive-maintenance tickets ahead of due dates,
production notices three days before line-stopping work, and tasks done when their
ticket is.

Runs beside the ticket cycle, as of the line's newest sample. Each task is handled
in its own transaction: the occurrence is claimed by its unique key (machine, task,
sequence) before its ticket is registered, so a second worker waits on the key,
finds it taken and opens nothing; each occurrence opens exactly one ticket.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alerts.maintenance_schedule import (
    USAGE_RATE_WINDOW,
    DueEstimate,
    estimate_due,
    machine_tasks,
    production_notice_due,
    usage_rate_per_day,
    window_for,
)
from alerts.ticket_intake import draft_from_request, warranty_status
from models.maintenance import (
    MachineTask,
    MaintenancePlanFile,
    Occurrence,
    OccurrenceStatus,
    load_plan_file,
)
from models.plant import Line, MachinePlacement, Plant, Severity
from models.tickets import Channel, Ticket, TicketRequest, TicketStatus, TicketType
from storage import maintenance_store, ticket_store, ticket_workflow_store
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER

log = logging.getLogger(__name__)

# Statuses that mean the work on the ticket is done.
WORK_DONE = frozenset(
    {
        TicketStatus.REPAIRED,
        TicketStatus.RESOLVED_REMOTELY,
        TicketStatus.VERIFIED,
        TicketStatus.SIGNED_OFF,
        TicketStatus.SURVEY,
        TicketStatus.REVIEWED,
        TicketStatus.ARCHIVED,
    }
)
# A usage rate from less than this is too noisy to project a due date from.
_MIN_RATE_SPAN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """Numbers of the tickets opened, announced to production, and of tasks done."""

    opened: tuple[str, ...] = ()
    announced: tuple[str, ...] = ()
    done: tuple[int, ...] = ()


async def run_maintenance_cycle(
    pool: Pool, plant: Plant, *, now: datetime, line: Line
) -> MaintenanceReport:
    """Open the line's due preventive-maintenance tickets and follow the open ones."""
    machine_ids = [m.id for m in line.machines]
    async with pool.connection() as conn:
        plans = {p.machine_model: p for p in await maintenance_store.list_plans(conn)}
        overrides = await maintenance_store.list_overrides(conn, machine_ids=machine_ids)
        await conn.commit()
        opened: list[str] = []
        for machine in line.machines:
            plan = plans.get(machine.model)
            if plan is None:
                continue
            for task in machine_tasks(plan, overrides, machine_id=machine.id, line_id=line.id):
                # Each task commits on its own, so its ticket is out before the next.
                async with conn.transaction():
                    ticket = await open_if_due(conn, plant, task, now=now)
                if ticket is not None:
                    opened.append(ticket.number)
    announced, done = await _follow_open(pool, plant, machine_ids, now=now)
    return MaintenanceReport(tuple(opened), announced, done)


async def open_if_due(
    conn: Connection, plant: Plant, machine_task: MachineTask, *, now: datetime
) -> Ticket | None:
    """Open the task's next occurrence and its ticket when it is due soon; None otherwise,
    or when it is open already (one open occurrence per task and machine)."""
    latest, next_due = await next_estimate(conn, machine_task, now=now)
    if latest is not None and latest.status is OccurrenceStatus.OPEN:
        return None
    machine_id, key = machine_task.machine_id, machine_task.task.key
    if not next_due.estimate.open_ticket:
        return None
    due_at = next_due.estimate.due_at or now
    occurrence = await maintenance_store.insert_occurrence(
        conn,
        machine_id=machine_id,
        line_id=machine_task.line_id,
        task_key=key,
        sequence=latest.sequence + 1 if latest is not None else 1,
        due_at=due_at,
        window=window_for(machine_task, due_at),
        stops_line=machine_task.task.stops_line,
        opened_at=now,
    )
    if occurrence is None:
        return None  # another worker claimed it and opens its ticket
    ticket = await _register(conn, plant, machine_task, occurrence, now=now)
    await maintenance_store.attach_ticket(conn, occurrence_id=occurrence.id, ticket_id=ticket.id)
    return ticket


@dataclass(frozen=True, slots=True)
class NextDue:
    """The next occurrence's estimate, its anchor, and the recent usage rate per day."""

    estimate: DueEstimate
    anchor: datetime
    rate_per_day: float


async def next_estimate(
    conn: Connection, machine_task: MachineTask, *, now: datetime
) -> tuple[Occurrence | None, NextDue]:
    """The task's latest occurrence on the machine, and when the one after it is due.

    It counts from the latest occurrence's completion (or skip), or from when the
    machine came under the task (which the first call records).
    """
    machine_id, key = machine_task.machine_id, machine_task.task.key
    latest = await maintenance_store.latest_occurrence(conn, machine_id=machine_id, task_key=key)
    tracked = await maintenance_store.tracked_since(
        conn, machine_id=machine_id, task_key=key, now=now
    )
    anchor = latest.closed_at if latest is not None and latest.closed_at is not None else tracked
    used = await maintenance_store.usage_between(
        conn, machine_id=machine_id, since=anchor, until=now
    )
    rate_span = max(min(USAGE_RATE_WINDOW, now - tracked), _MIN_RATE_SPAN)
    recent = await maintenance_store.usage_between(
        conn, machine_id=machine_id, since=now - rate_span, until=now
    )
    rate = usage_rate_per_day(machine_task.task.interval_kind, recent, rate_span)
    estimate = estimate_due(
        machine_task,
        anchor=anchor,
        first=latest is None,
        now=now,
        used_since_anchor=used,
        rate_per_day=rate,
    )
    return latest, NextDue(estimate, anchor, rate)


async def _register(
    conn: Connection,
    plant: Plant,
    machine_task: MachineTask,
    occurrence: Occurrence,
    *,
    now: datetime,
) -> Ticket:
    placement = plant.placement_of(machine_task.machine_id)
    task = machine_task.task
    request = TicketRequest(
        line_id=placement.line.id,
        machine_id=placement.machine.id,
        channel=Channel.MAINTENANCE_PLAN,
        ticket_type=TicketType.PREVENTIVE_MAINTENANCE,
        severity=Severity.MINOR,
        summary=f"Planned maintenance: {task.title}",
        symptoms=work_description(machine_task, occurrence, placement),
        expected_resolution=occurrence.window_end,
    )
    zone = ZoneInfo(placement.site.timezone)
    line = placement.line
    stops = await ticket_workflow_store.breakdowns(
        conn,
        machine_ids=[m.id for m in line.machines],
        since=datetime.combine(line.acceptance_date, time(), zone),
        until=now,
    )
    warranty = warranty_status(
        line, now.astimezone(zone).date(), downtime=stops, timezone=placement.site.timezone
    )
    draft = replace(
        draft_from_request(request, placement, received_at=now, warranty=warranty, created_by=""),
        created_by=None,
    )
    return await ticket_store.register_ticket(
        conn,
        draft=draft,
        note=f"opened by the maintenance plan: task {task.key}, occurrence {occurrence.sequence}",
    )


def work_description(
    machine_task: MachineTask, occurrence: Occurrence, placement: MachinePlacement
) -> str:
    """What the engineer needs to know: window, whether the line stops, checklist, parts."""
    task = machine_task.task
    zone = ZoneInfo(placement.site.timezone)
    start = occurrence.window_start.astimezone(zone)
    lines = [
        f"Planned window: {start:%d %b %Y %H:%M} ({placement.site.timezone}),"
        f" {task.duration_hours:g} h"
        + ("; the line stops." if task.stops_line else "; the line keeps running."),
    ]
    if task.skills:
        lines.append("Skills: " + ", ".join(task.skills) + ".")
    if task.parts:
        lines.append("Parts: " + ", ".join(f"{p.quantity} x {p.part_number}" for p in task.parts))
    lines += [f"- {item}" for item in task.checklist]
    return "\n".join(lines)


async def _follow_open(
    pool: Pool, plant: Plant, machine_ids: list[str], *, now: datetime
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Record tasks whose ticket's work is done, and tell production of line stops ahead."""
    announced: list[str] = []
    done: list[int] = []
    async with pool.connection() as conn:
        open_now = await maintenance_store.open_occurrences(conn, machine_ids=machine_ids)
        await conn.commit()
        for occurrence in open_now:
            if occurrence.ticket_id is None:
                continue
            async with conn.transaction():
                ticket = await ticket_store.get_ticket(
                    conn, ticket_id=occurrence.ticket_id, scope=EVERY_CUSTOMER
                )
                assert ticket is not None  # referenced by the occurrence
                if ticket.status in WORK_DONE:
                    if await _record_done(conn, occurrence, ticket, now=now):
                        done.append(occurrence.id)
                elif production_notice_due(occurrence, now) and await _announce(
                    conn, plant, occurrence, ticket, now=now
                ):
                    announced.append(ticket.number)
    return tuple(announced), tuple(done)


async def _record_done(
    conn: Connection, occurrence: Occurrence, ticket: Ticket, *, now: datetime
) -> bool:
    done_at = ticket.work.milestones.resolved_at or now
    closed = await maintenance_store.close_occurrence(
        conn, occurrence_id=occurrence.id, status=OccurrenceStatus.DONE, at=done_at, by=None
    )
    if closed is None:
        return False  # another worker recorded it
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=now,
        kind="maintenance_done",
        note=f"task {occurrence.task_key} recorded as done at {done_at.isoformat()}",
    )
    return True


async def _announce(
    conn: Connection, plant: Plant, occurrence: Occurrence, ticket: Ticket, *, now: datetime
) -> bool:
    if not await maintenance_store.mark_production_notice(
        conn, occurrence_id=occurrence.id, at=now
    ):
        return False
    placement = plant.placement_of(occurrence.machine_id)
    zone = ZoneInfo(placement.site.timezone)
    start = occurrence.window_start.astimezone(zone)
    end = occurrence.window_end.astimezone(zone)
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=now,
        kind="production_notice",
        note=(
            f"{placement.line.name} stops for planned maintenance from"
            f" {start:%d %b %Y %H:%M} to {end:%d %b %Y %H:%M} ({placement.site.timezone})."
        ),
        field="window_start",
        new_value=occurrence.window_start.isoformat(),
    )
    return True


# The plan file lies beside the plant file.
PLAN_FILE_NAME = "maintenance_plans.yaml"


async def import_plan_file(pool: Pool, path: Path, *, at: datetime) -> list[str]:
    """Import the plans of machine models that have none in the database yet, and the
    file's per-machine overrides where a machine has none for the task (what was edited
    through the API stays as edited); returns the models imported."""
    content = await asyncio.to_thread(_read_plans, path)
    if content is None:
        return []
    async with pool.connection() as conn, conn.transaction():
        imported = await maintenance_store.import_plans(conn, plans=content.plans, at=at)
        await maintenance_store.import_overrides(conn, overrides=content.overrides, at=at)
    return imported


def _read_plans(path: Path) -> MaintenancePlanFile | None:
    return load_plan_file(path) if path.exists() else None
