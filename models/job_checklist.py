"""The checklist of a maintenance job as the engineer answers it on site.

A planned-maintenance ticket carries one or more task occurrences (the maintenance
plan opened it); each task has a checklist. The engineer answers every item: OK, not
OK (a finding: what was found) or not applicable (why not). The service report of
such a ticket is filed once every item of its open tasks is answered
(docs/maintenance.md, "The checklist on the job").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.maintenance import MaintenanceTask, Occurrence, OccurrenceStatus


class ChecklistOutcome(StrEnum):
    OK = "ok"
    NOT_OK = "not_ok"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class ChecklistAnswer:
    """One item answered: ``item`` is its text as it read when answered."""

    ticket_id: int
    occurrence_id: int
    position: int
    item: str
    outcome: ChecklistOutcome
    note: str
    answered_by: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """An item of a task's checklist (``position`` from 1) and its answer, if any."""

    position: int
    text: str
    answer: ChecklistAnswer | None


@dataclass(frozen=True, slots=True)
class JobTask:
    """A task occurrence on the ticket, with the task as its plan defines it now (None
    when the plan lost the task), and its checklist answered so far."""

    occurrence: Occurrence
    task: MaintenanceTask | None
    items: tuple[ChecklistItem, ...]

    @property
    def counts(self) -> bool:
        """Whether the report waits for this task's checklist: a skipped task needs none."""
        return self.occurrence.status is not OccurrenceStatus.SKIPPED


def job_tasks(
    pairs: Sequence[tuple[Occurrence, MaintenanceTask | None]],
    answers: Sequence[ChecklistAnswer],
) -> list[JobTask]:
    """Each occurrence with its checklist items and their answers. An answer counts only
    while the item at its position still reads the same (a plan edited mid-job)."""
    by_key = {(a.occurrence_id, a.position): a for a in answers}
    tasks = []
    for occurrence, task in pairs:
        checklist = task.checklist if task is not None else ()
        items = []
        for position, text in enumerate(checklist, start=1):
            answer = by_key.get((occurrence.id, position))
            items.append(
                ChecklistItem(position, text, answer if answer and answer.item == text else None)
            )
        tasks.append(JobTask(occurrence, task, tuple(items)))
    return tasks


def unanswered(tasks: Sequence[JobTask]) -> list[tuple[JobTask, ChecklistItem]]:
    """The items still to answer before the service report may be filed."""
    return [(t, i) for t in tasks if t.counts for i in t.items if i.answer is None]


def answer_problem(outcome: ChecklistOutcome, note: str) -> str | None:
    """Why an answer is incomplete, in a sentence for the engineer; None when it is fine."""
    if outcome is ChecklistOutcome.NOT_OK and not note.strip():
        return "a 'not OK' answer needs a note saying what was found"
    if outcome is ChecklistOutcome.NOT_APPLICABLE and not note.strip():
        return "a 'not applicable' answer needs the reason in the note"
    return None


def filing_refusal(tasks: Sequence[JobTask]) -> str | None:
    """Why the service report cannot be filed yet, or None when the checklist allows it."""
    open_items = unanswered(tasks)
    if not open_items:
        return None
    shown = "; ".join(
        f"{task.task.title if task.task else task.occurrence.task_key}: {item.text}"
        for task, item in open_items[:5]
    )
    more = f" and {len(open_items) - 5} more" if len(open_items) > 5 else ""
    total = sum(len(t.items) for t in tasks if t.counts)
    return (
        f"the maintenance checklist has {len(open_items)} of {total} items unanswered"
        f" ({shown}{more}); answer each as OK, not OK or not applicable (with the reason)"
        " before filing the report"
    )
