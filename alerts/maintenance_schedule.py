"""When each maintenance task is due: pure due-date logic over a plan, overrides and usage.

A task's next occurrence counts from its anchor: when the machine came under the
plan, or when the previous occurrence was done or skipped. A calendar task is due
its interval of days after the anchor. A usage task (running hours, parts) is due
when the usage since the anchor reaches its interval; its date is projected from
the machine's recent usage rate, and is unknown while the machine does not run.

A ticket opens ``lead_days`` before the due date, or for a usage task once
``usage_lead_share`` of its interval is used, whichever comes first. Production
hears of line-stopping work three days before its window (DOMAIN.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.maintenance import (
    IntervalKind,
    MachineTask,
    MaintenancePlan,
    Occurrence,
    OccurrenceStatus,
    TaskOverride,
    Usage,
)

PRODUCTION_NOTICE_LEAD = timedelta(days=3)
# How far back the usage rate that projects usage-based due dates looks.
USAGE_RATE_WINDOW = timedelta(days=7)


class CalendarStatus:
    """How an entry of the maintenance calendar stands (strings of the API)."""

    DUE = "due"  # projected, no ticket yet
    PLANNED = "planned"  # ticket open, window ahead
    OVERDUE = "overdue"  # due date passed, not done
    DONE = "done"
    DONE_LATE = "done_late"
    SKIPPED = "skipped"


def machine_tasks(
    plan: MaintenancePlan,
    overrides: Sequence[TaskOverride],
    *,
    machine_id: str,
    line_id: str,
) -> list[MachineTask]:
    """The plan's tasks as they apply to one machine: overridden intervals, disabled ones out."""
    mine = {o.task_key: o for o in overrides if o.machine_id == machine_id}
    tasks = []
    for task in plan.tasks:
        override = mine.get(task.key)
        if override is not None and override.disabled:
            continue
        if override is not None and override.interval is not None:
            task = task.model_copy(update={"interval": override.interval, "first_interval": None})
        tasks.append(
            MachineTask(
                machine_id=machine_id,
                line_id=line_id,
                task=task,
                lead_days=plan.lead_days,
                usage_lead_share=plan.usage_lead_share,
                overridden=override is not None,
            )
        )
    return tasks


@dataclass(frozen=True, slots=True)
class DueEstimate:
    """The next occurrence of a task as of ``now``.

    ``due_at`` None: a usage task on a machine that has not run lately, so no date
    can be projected. ``used`` and ``interval`` are in the task's own unit.
    """

    due_at: datetime | None
    used: float
    interval: float
    open_ticket: bool

    @property
    def share_used(self) -> float:
        return self.used / self.interval


def interval_of(machine_task: MachineTask, *, first: bool) -> float:
    """The interval of the occurrence: the run-in interval for a machine's first one."""
    task = machine_task.task
    return task.first_interval if first and task.first_interval is not None else task.interval


def usage_amount(kind: IntervalKind, usage: Usage) -> float:
    return usage.running_hours if kind is IntervalKind.RUNNING_HOURS else usage.parts


def usage_rate_per_day(kind: IntervalKind, recent: Usage, span: timedelta) -> float:
    """Units per calendar day over the recent stretch ``span``."""
    days = span / timedelta(days=1)
    return usage_amount(kind, recent) / days if days > 0 else 0.0


def estimate_due(
    machine_task: MachineTask,
    *,
    anchor: datetime,
    first: bool,
    now: datetime,
    used_since_anchor: Usage,
    rate_per_day: float,
) -> DueEstimate:
    """When the next occurrence is due, and whether its ticket should open now."""
    kind = machine_task.task.interval_kind
    interval = interval_of(machine_task, first=first)
    lead = timedelta(days=machine_task.lead_days)
    if kind is IntervalKind.CALENDAR_DAYS:
        calendar_due = anchor + timedelta(days=interval)
        used = (now - anchor) / timedelta(days=1)
        return DueEstimate(calendar_due, used, interval, open_ticket=now >= calendar_due - lead)
    used = usage_amount(kind, used_since_anchor)
    due_at = _projected(now, remaining=interval - used, rate_per_day=rate_per_day)
    open_ticket = used >= machine_task.usage_lead_share * interval or (
        due_at is not None and now >= due_at - lead
    )
    return DueEstimate(due_at, used, interval, open_ticket=open_ticket)


def _projected(now: datetime, *, remaining: float, rate_per_day: float) -> datetime | None:
    """When the usage reaches its interval at the recent rate (in the past if overshot)."""
    if remaining <= 0:
        # Already reached: when, at the recent rate, or now if the rate is unknown.
        return now + timedelta(days=remaining / rate_per_day) if rate_per_day > 0 else now
    if rate_per_day <= 0:
        return None
    return now + timedelta(days=remaining / rate_per_day)


def later_dues(
    machine_task: MachineTask,
    *,
    after: datetime,
    rate_per_day: float,
    until: datetime,
    limit: int = 24,
) -> list[datetime]:
    """The projected due dates that follow one due at ``after``, up to ``until``
    (usage tasks at the recent rate; none if the machine does not run)."""
    kind = machine_task.task.interval_kind
    interval = machine_task.task.interval
    if kind is IntervalKind.CALENDAR_DAYS:
        step = timedelta(days=interval)
    elif rate_per_day > 0:
        step = timedelta(days=interval / rate_per_day)
    else:
        return []
    dues: list[datetime] = []
    at = after + step
    while at <= until and len(dues) < limit:
        dues.append(at)
        at += step
    return dues


def window_for(machine_task: MachineTask, due_at: datetime) -> tuple[datetime, datetime]:
    """The planned window of an occurrence: from its due date for the task's duration."""
    return due_at, due_at + timedelta(hours=machine_task.task.duration_hours)


def production_notice_due(occurrence: Occurrence, now: datetime) -> bool:
    """Whether production should now hear of this line-stopping work (once, three days ahead;
    a window planned closer than that is announced at once)."""
    return (
        occurrence.stops_line
        and occurrence.status is OccurrenceStatus.OPEN
        and occurrence.production_notice_at is None
        and now >= occurrence.window_start - PRODUCTION_NOTICE_LEAD
    )


def occurrence_status(occurrence: Occurrence, now: datetime) -> str:
    """How a stored occurrence shows on the calendar: planned, overdue, done (late), skipped."""
    if occurrence.status is OccurrenceStatus.SKIPPED:
        return CalendarStatus.SKIPPED
    if occurrence.status is OccurrenceStatus.DONE:
        assert occurrence.closed_at is not None  # a done occurrence has its time
        late = occurrence.closed_at > occurrence.window_end
        return CalendarStatus.DONE_LATE if late else CalendarStatus.DONE
    return CalendarStatus.OVERDUE if now > occurrence.window_end else CalendarStatus.PLANNED
