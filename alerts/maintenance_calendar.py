"""The maintenance calendar of a line: stored occurrences (planned, overdue, done, done
late, skipped) and the projected due dates of what comes next, in one list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.maintenance_job import next_estimate
from alerts.maintenance_schedule import (
    CalendarStatus,
    later_dues,
    machine_tasks,
    occurrence_status,
    window_for,
)
from models.maintenance import (
    MachineTask,
    MaintenanceTask,
    Occurrence,
    OccurrenceStatus,
)
from models.plant import Line
from storage import maintenance_store
from storage.connections import Connection


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One task occurrence on the calendar.

    ``task`` None: the plan no longer has the task the occurrence was opened for.
    ``due_at`` None: a usage task on a machine that has not run lately. ``share_used``
    is given for the next projected occurrence of a usage task.
    """

    machine_id: str
    task_key: str
    task: MaintenanceTask | None
    status: str
    due_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    overridden: bool = False
    occurrence_id: int | None = None
    ticket_id: int | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    skip_reason: str | None = None
    production_notice_at: datetime | None = None
    share_used: float | None = None


async def line_calendar(
    conn: Connection, line: Line, *, since: datetime, until: datetime, now: datetime
) -> list[CalendarEntry]:
    """Everything due on the line's machines in ``[since, until)``, plus open occurrences."""
    machine_ids = [m.id for m in line.machines]
    overrides = await maintenance_store.list_overrides(conn, machine_ids=machine_ids)
    stored = await maintenance_store.occurrences_between(
        conn, machine_ids=machine_ids, since=since, until=until
    )
    entries: list[CalendarEntry] = []
    for machine in line.machines:
        plan = await maintenance_store.plan_for(conn, machine_model=machine.model)
        tasks = (
            {
                t.task.key: t
                for t in machine_tasks(plan, overrides, machine_id=machine.id, line_id=line.id)
            }
            if plan is not None
            else {}
        )
        mine = [o for o in stored if o.machine_id == machine.id]
        entries += [_stored_entry(o, tasks.get(o.task_key), now) for o in mine]
        for machine_task in tasks.values():
            entries += await _projected(conn, machine_task, since=since, until=until, now=now)
    return sorted(entries, key=lambda e: (e.due_at or until, e.machine_id, e.task_key))


def _stored_entry(occurrence: Occurrence, task: MachineTask | None, now: datetime) -> CalendarEntry:
    return CalendarEntry(
        machine_id=occurrence.machine_id,
        task_key=occurrence.task_key,
        task=task.task if task is not None else None,
        status=occurrence_status(occurrence, now),
        due_at=occurrence.due_at,
        window_start=occurrence.window_start,
        window_end=occurrence.window_end,
        overridden=task.overridden if task is not None else False,
        occurrence_id=occurrence.id,
        ticket_id=occurrence.ticket_id,
        closed_at=occurrence.closed_at,
        closed_by=occurrence.closed_by,
        skip_reason=occurrence.skip_reason,
        production_notice_at=occurrence.production_notice_at,
    )


async def _projected(
    conn: Connection, machine_task: MachineTask, *, since: datetime, until: datetime, now: datetime
) -> list[CalendarEntry]:
    """The next occurrence (when none is open) and those after it, as projected now."""
    latest, next_due = await next_estimate(conn, machine_task, now=now)
    entries: list[CalendarEntry] = []
    if latest is not None and latest.status is OccurrenceStatus.OPEN:
        # The next one counts from this one's completion: at the earliest its window's end,
        # and not before now for one that is overdue.
        after = max(latest.window_end, now)
    elif next_due.estimate.due_at is None:
        entries.append(_due_entry(machine_task, None, share_used=next_due.estimate.share_used))
        return entries
    else:
        after = next_due.estimate.due_at
        if since <= after < until:
            entries.append(_due_entry(machine_task, after, share_used=next_due.estimate.share_used))
    for due_at in later_dues(
        machine_task, after=after, rate_per_day=next_due.rate_per_day, until=until
    ):
        if due_at >= since:
            entries.append(_due_entry(machine_task, due_at, share_used=None))
    return entries


def _due_entry(
    machine_task: MachineTask, due_at: datetime | None, *, share_used: float | None
) -> CalendarEntry:
    start, end = window_for(machine_task, due_at) if due_at is not None else (None, None)
    return CalendarEntry(
        machine_id=machine_task.machine_id,
        task_key=machine_task.task.key,
        task=machine_task.task,
        status=CalendarStatus.DUE,
        due_at=due_at,
        window_start=start,
        window_end=end,
        overridden=machine_task.overridden,
        share_used=share_used,
    )
