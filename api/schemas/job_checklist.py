"""The maintenance checklist of a job: the tasks on the ticket, their items and answers,
and an engineer's answer to one item."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.schemas.base import PublicModel
from api.schemas.part_suggestions import MyJobWithPartsPublic
from models.job_checklist import (
    ChecklistAnswer,
    ChecklistItem,
    ChecklistOutcome,
    JobTask,
    unanswered,
)
from models.maintenance import OccurrenceStatus


class ChecklistAnswerBody(BaseModel):
    """The answer to one item. ``item`` is its text as shown (the plan may have changed
    since); ``note`` is required for ``not_ok`` (what was found) and ``not_applicable``
    (why not)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"item": "Check the main drive belt tension", "outcome": "ok"},
                {
                    "item": "Inspect the filling valve seals",
                    "outcome": "not_ok",
                    "note": "Valves 3 and 7 drip after cleaning; seals to replace.",
                },
            ]
        },
    )

    item: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    outcome: ChecklistOutcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ChecklistAnswerPublic(PublicModel):
    outcome: ChecklistOutcome
    note: str
    answered_by: str
    answered_at: datetime

    @classmethod
    def of(cls, answer: ChecklistAnswer) -> ChecklistAnswerPublic:
        return cls(
            outcome=answer.outcome,
            note=answer.note,
            answered_by=answer.answered_by,
            answered_at=answer.answered_at,
        )


class ChecklistItemPublic(PublicModel):
    """An item, ``position`` from 1; ``answer`` null while unanswered. Answer it with
    ``PUT answer_url``."""

    position: int
    text: str
    answer: ChecklistAnswerPublic | None
    answer_url: str

    @classmethod
    def of(cls, ticket_id: int, occurrence_id: int, item: ChecklistItem) -> ChecklistItemPublic:
        return cls(
            position=item.position,
            text=item.text,
            answer=ChecklistAnswerPublic.of(item.answer) if item.answer else None,
            answer_url=f"/api/v1/tickets/{ticket_id}/checklist/{occurrence_id}/{item.position}",
        )


class TaskPartPublic(PublicModel):
    part_number: str
    quantity: int


class JobTaskPublic(PublicModel):
    """A maintenance task on the ticket: what the plan says of it (``title`` is the task
    key when the plan no longer has the task), its window and its checklist."""

    occurrence_id: int
    task_key: str
    title: str
    occurrence_status: OccurrenceStatus
    due_at: datetime
    window_start: datetime
    window_end: datetime
    duration_hours: float | None
    stops_line: bool
    skills: list[str]
    parts: list[TaskPartPublic]
    items: list[ChecklistItemPublic]

    @classmethod
    def of(cls, ticket_id: int, job: JobTask) -> JobTaskPublic:
        occurrence, task = job.occurrence, job.task
        return cls(
            occurrence_id=occurrence.id,
            task_key=occurrence.task_key,
            title=task.title if task else occurrence.task_key,
            occurrence_status=occurrence.status,
            due_at=occurrence.due_at,
            window_start=occurrence.window_start,
            window_end=occurrence.window_end,
            duration_hours=task.duration_hours if task else None,
            stops_line=occurrence.stops_line,
            skills=list(task.skills) if task else [],
            parts=[
                TaskPartPublic(part_number=p.part_number, quantity=p.quantity) for p in task.parts
            ]
            if task
            else [],
            items=[ChecklistItemPublic.of(ticket_id, occurrence.id, i) for i in job.items],
        )


class JobChecklistPublic(PublicModel):
    """The ticket's maintenance tasks (none for a ticket no plan opened), how many items
    are still open (the report waits for them: a skipped task's do not count), and
    whether the caller may answer now (``may_answer_because`` says why not)."""

    ticket_id: int
    tasks: list[JobTaskPublic]
    items: int
    unanswered: int
    findings: int
    may_answer: bool
    may_answer_because: str | None

    @classmethod
    def of(
        cls, ticket_id: int, tasks: Sequence[JobTask], *, why_not: str | None
    ) -> JobChecklistPublic:
        return cls(
            ticket_id=ticket_id,
            tasks=[JobTaskPublic.of(ticket_id, t) for t in tasks],
            items=sum(len(t.items) for t in tasks if t.counts),
            unanswered=len(unanswered(tasks)),
            findings=sum(
                1
                for t in tasks
                for i in t.items
                if i.answer and i.answer.outcome is ChecklistOutcome.NOT_OK
            ),
            may_answer=why_not is None,
            may_answer_because=why_not,
        )


class ChecklistItemAnsweredPublic(PublicModel):
    """The item as stored; ``changed`` false when the same answer was already there."""

    ticket_id: int
    occurrence_id: int
    item: ChecklistItemPublic
    changed: bool


class MyJobFullPublic(MyJobWithPartsPublic):
    """A job with its parts and, for planned maintenance, its ``checklist``."""

    checklist: JobChecklistPublic

    @classmethod
    def with_checklist(
        cls, job: MyJobWithPartsPublic, checklist: JobChecklistPublic
    ) -> MyJobFullPublic:
        return cls(**dict(job), checklist=checklist)
