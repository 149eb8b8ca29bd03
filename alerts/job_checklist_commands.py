"""Reading a ticket's maintenance checklist and answering its items on site.

Only the field engineer the ticket is dispatched to, or an administrator, answers: the
answers are the engineer's record of the work. They answer while the service report
may change (the work has begun, no sign-off yet). Answering the same again changes
nothing; another answer replaces the first, with its own who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.service_report_rules import editing_refusal
from alerts.ticket_commands import works_on
from models.job_checklist import (
    ChecklistItem,
    ChecklistOutcome,
    JobTask,
    answer_problem,
    job_tasks,
)
from models.users import Role, User
from storage import job_checklist_store, ticket_store
from storage.connections import Connection

MAY_ANSWER = frozenset({Role.FIELD_ENGINEER, Role.ADMIN})


class ChecklistError(ValueError):
    """An answer that is incomplete in itself, in a sentence for the engineer."""


@dataclass(frozen=True, slots=True)
class ChecklistRefusal:
    """The answer cannot be taken now; ``message`` says why."""

    message: str


@dataclass(frozen=True, slots=True)
class Answered:
    """The item with its stored answer, and whether this call changed it."""

    task: JobTask
    item: ChecklistItem
    changed: bool


async def checklist_of(conn: Connection, *, ticket_id: int) -> list[JobTask]:
    """The ticket's maintenance tasks with their checklists answered so far."""
    pairs = await job_checklist_store.ticket_tasks(conn, ticket_id=ticket_id)
    return job_tasks(pairs, await job_checklist_store.answers(conn, ticket_id=ticket_id))


async def answer_item(
    conn: Connection,
    *,
    ticket_id: int,
    occurrence_id: int,
    position: int,
    item: str,
    outcome: ChecklistOutcome,
    note: str,
    user: User,
    at: datetime,
) -> Answered | ChecklistRefusal | None:
    """Store the answer to item ``position`` of the occurrence's checklist on the ticket.

    ``item`` is the text the engineer saw: if the plan changed it meanwhile, the answer
    is refused rather than put on another item. None when the ticket, the occurrence on
    it or the item does not exist (or it is another engineer's job).
    """
    problem = answer_problem(outcome, note)
    if problem is not None:
        raise ChecklistError(problem)
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None or not await works_on(conn, ticket_id=ticket_id, user=user):
            return None
        why_not = editing_refusal(ticket)
        if why_not is not None:
            return ChecklistRefusal(f"the checklist is answered with the report, and {why_not}")
        tasks = await checklist_of(conn, ticket_id=ticket_id)
        task = next((t for t in tasks if t.occurrence.id == occurrence_id), None)
        if task is None or not 1 <= position <= len(task.items):
            return None
        current = task.items[position - 1]
        if current.text != item.strip():
            return ChecklistRefusal(
                f"the checklist changed since it was loaded: item {position} now reads"
                f" '{current.text}'; reload and answer again"
            )
        answer, changed = await job_checklist_store.record_answer(
            conn,
            ticket_id=ticket_id,
            occurrence_id=occurrence_id,
            position=position,
            item=current.text,
            outcome=outcome,
            note=note.strip(),
            by=user.login,
            at=at,
        )
    return Answered(task, ChecklistItem(position, current.text, answer), changed)
