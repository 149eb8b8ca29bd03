"""Maintenance plans, overrides and the maintenance calendar as the API shows them.

Plans travel as ``models.maintenance.MaintenancePlan`` (strict: unknown fields are
refused), so a plan read can be edited and sent back as it is.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alerts.maintenance_calendar import CalendarEntry
from api.schemas.base import PublicModel
from models.maintenance import IntervalKind, MaintenancePlan, Occurrence, PartNeed, TaskOverride

__all__ = [
    "CalendarEntryPublic",
    "CalendarPublic",
    "MaintenancePlan",
    "OccurrencePublic",
    "OverrideBody",
    "SkipBody",
    "TaskOverride",
]


class OverrideBody(BaseModel):
    """One machine's exception to a task of its model's plan."""

    model_config = ConfigDict(extra="forbid")

    interval: float | None = Field(default=None, gt=0)
    disabled: bool = False
    reason: str = Field(min_length=1, max_length=500)


class SkipBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class OccurrencePublic(PublicModel):
    id: int
    machine_id: str
    line_id: str
    task_key: str
    sequence: int
    due_at: datetime
    window_start: datetime
    window_end: datetime
    stops_line: bool
    ticket_id: int | None
    status: str
    closed_at: datetime | None
    closed_by: str | None
    skip_reason: str | None

    @classmethod
    def of(cls, occurrence: Occurrence) -> OccurrencePublic:
        return cls(
            id=occurrence.id,
            machine_id=occurrence.machine_id,
            line_id=occurrence.line_id,
            task_key=occurrence.task_key,
            sequence=occurrence.sequence,
            due_at=occurrence.due_at,
            window_start=occurrence.window_start,
            window_end=occurrence.window_end,
            stops_line=occurrence.stops_line,
            ticket_id=occurrence.ticket_id,
            status=occurrence.status.value,
            closed_at=occurrence.closed_at,
            closed_by=occurrence.closed_by,
            skip_reason=occurrence.skip_reason,
        )


class CalendarEntryPublic(PublicModel):
    """One task occurrence: ``status`` is due (projected, no ticket yet), planned (ticket
    open), overdue, done, done_late or skipped. ``occurrence_id`` is what
    POST /api/v1/maintenance/tasks/{id}/skip takes."""

    machine_id: str
    machine_name: str
    task_key: str
    title: str
    interval_kind: IntervalKind | None
    interval: float | None
    duration_hours: float | None
    stops_line: bool | None
    checklist: tuple[str, ...]
    skills: tuple[str, ...]
    parts: tuple[PartNeed, ...]
    overridden: bool
    status: str
    due_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    share_used: float | None
    occurrence_id: int | None
    ticket_id: int | None
    ticket_number: str | None
    closed_at: datetime | None
    closed_by: str | None
    skip_reason: str | None
    production_notice_at: datetime | None

    @classmethod
    def of(
        cls, entry: CalendarEntry, *, machine_name: str, ticket_number: str | None
    ) -> CalendarEntryPublic:
        task = entry.task
        return cls(
            machine_id=entry.machine_id,
            machine_name=machine_name,
            task_key=entry.task_key,
            title=task.title if task is not None else entry.task_key,
            interval_kind=task.interval_kind if task is not None else None,
            interval=task.interval if task is not None else None,
            duration_hours=task.duration_hours if task is not None else None,
            stops_line=task.stops_line if task is not None else None,
            checklist=task.checklist if task is not None else (),
            skills=task.skills if task is not None else (),
            parts=task.parts if task is not None else (),
            overridden=entry.overridden,
            status=entry.status,
            due_at=entry.due_at,
            window_start=entry.window_start,
            window_end=entry.window_end,
            share_used=entry.share_used,
            occurrence_id=entry.occurrence_id,
            ticket_id=entry.ticket_id,
            ticket_number=ticket_number,
            closed_at=entry.closed_at,
            closed_by=entry.closed_by,
            skip_reason=entry.skip_reason,
            production_notice_at=entry.production_notice_at,
        )


class CalendarPublic(PublicModel):
    line_id: str
    line_name: str
    since: datetime
    until: datetime
    now: datetime
    entries: list[CalendarEntryPublic]
