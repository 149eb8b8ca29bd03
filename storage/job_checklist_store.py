"""The maintenance tasks a ticket carries and the engineer's checklist answers on it
(migration 057)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.job_checklist import ChecklistAnswer, ChecklistOutcome
from models.maintenance import MaintenanceTask, Occurrence
from storage import maintenance_store
from storage.connections import Connection

_ANSWER_COLUMNS = (
    "ticket_id, occurrence_id, position, item, outcome, note, answered_by, answered_at"
)


async def ticket_tasks(
    conn: Connection, *, ticket_id: int
) -> list[tuple[Occurrence, MaintenanceTask | None]]:
    """The task occurrences that opened (or joined) the ticket, earliest due first, each
    with its task as the machine model's plan defines it now (None: no longer planned)."""
    cursor = await conn.execute(
        "SELECT o.id, m.model FROM maintenance_occurrences o"
        " JOIN machines m ON m.id = o.machine_id"
        " WHERE o.ticket_id = %s ORDER BY o.due_at, o.id",
        (ticket_id,),
    )
    found = []
    for occurrence_id, model in await cursor.fetchall():
        occurrence = await maintenance_store.get_occurrence(conn, occurrence_id=occurrence_id)
        assert occurrence is not None  # read just above
        plan = await maintenance_store.plan_for(conn, machine_model=model)
        found.append((occurrence, plan.task(occurrence.task_key) if plan else None))
    return found


async def answers(conn: Connection, *, ticket_id: int) -> list[ChecklistAnswer]:
    cursor = await conn.execute(
        f"SELECT {_ANSWER_COLUMNS} FROM job_checklist_answers WHERE ticket_id = %s"
        " ORDER BY occurrence_id, position",
        (ticket_id,),
    )
    return [_answer(row) for row in await cursor.fetchall()]


async def record_answer(
    conn: Connection,
    *,
    ticket_id: int,
    occurrence_id: int,
    position: int,
    item: str,
    outcome: ChecklistOutcome,
    note: str,
    by: str,
    at: datetime,
) -> tuple[ChecklistAnswer, bool]:
    """Store the answer; the same answer again changes nothing (not even who and when).
    Returns the stored answer and whether it changed."""
    cursor = await conn.execute(
        f"""
        INSERT INTO job_checklist_answers ({_ANSWER_COLUMNS})
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (ticket_id, occurrence_id, position) DO UPDATE
        SET item = EXCLUDED.item, outcome = EXCLUDED.outcome, note = EXCLUDED.note,
            answered_by = EXCLUDED.answered_by, answered_at = EXCLUDED.answered_at
        WHERE (job_checklist_answers.item, job_checklist_answers.outcome,
               job_checklist_answers.note)
              IS DISTINCT FROM (EXCLUDED.item, EXCLUDED.outcome, EXCLUDED.note)
        RETURNING {_ANSWER_COLUMNS}
        """,
        (ticket_id, occurrence_id, position, item, outcome.value, note, by, at),
    )
    row = await cursor.fetchone()
    if row is not None:
        return _answer(row), True
    cursor = await conn.execute(
        f"SELECT {_ANSWER_COLUMNS} FROM job_checklist_answers"
        " WHERE ticket_id = %s AND occurrence_id = %s AND position = %s",
        (ticket_id, occurrence_id, position),
    )
    same = await cursor.fetchone()
    assert same is not None  # the conflict that skipped the update is this row
    return _answer(same), False


def _answer(row: Sequence[Any]) -> ChecklistAnswer:
    return ChecklistAnswer(
        ticket_id=row[0],
        occurrence_id=row[1],
        position=row[2],
        item=row[3],
        outcome=ChecklistOutcome(row[4]),
        note=row[5],
        answered_by=row[6],
        answered_at=row[7],
    )
