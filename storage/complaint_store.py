"""Complaints in the database: registration with a number, their state, and their history.

Numbers read ``CP-<year registered>-<six digits>`` from one sequence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintDraft,
    ComplaintEvent,
    ComplaintStatus,
)
from models.plant import Severity
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_COLUMNS = """
    id, number, status, customer_id, ticket_id, description, contact_name, severity,
    registered_by, registered_at, answer_due, category, findings, answer, answered_at, closed_at
"""


async def register_complaint(
    conn: Connection, *, draft: ComplaintDraft, answer_due: datetime
) -> Complaint:
    """Store a new complaint as registered, with its first history entry."""
    cursor = await conn.execute("SELECT nextval('complaint_number_seq')")
    row = await cursor.fetchone()
    assert row is not None  # nextval always returns a row
    number = f"CP-{draft.registered_at.year}-{row[0]:06d}"
    cursor = await conn.execute(
        f"""
        INSERT INTO complaints (number, status, customer_id, ticket_id, description,
            contact_name, severity, registered_by, registered_at, answer_due)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING {_COLUMNS}
        """,
        (
            number,
            ComplaintStatus.REGISTERED.value,
            draft.customer_id,
            draft.ticket_id,
            draft.description,
            draft.contact_name,
            draft.severity.value,
            draft.registered_by,
            draft.registered_at,
            answer_due,
        ),
    )
    inserted = await cursor.fetchone()
    assert inserted is not None  # INSERT ... RETURNING of one row
    complaint = _complaint(inserted)
    await append_event(
        conn,
        complaint_id=complaint.id,
        at=draft.registered_at,
        actor=draft.registered_by,
        kind="registered",
        old_status=None,
        new_status=ComplaintStatus.REGISTERED,
        note=draft.description,
    )
    return complaint


async def update_complaint(conn: Connection, *, complaint: Complaint) -> None:
    """Store a complaint's state after a move (the registration itself never changes)."""
    await conn.execute(
        """
        UPDATE complaints SET status = %s, category = %s, severity = %s, answer_due = %s,
            findings = %s, answer = %s, answered_at = %s, closed_at = %s
        WHERE id = %s
        """,
        (
            complaint.status.value,
            complaint.category.value if complaint.category else None,
            complaint.severity.value,
            complaint.answer_due,
            complaint.findings,
            complaint.answer,
            complaint.answered_at,
            complaint.closed_at,
            complaint.id,
        ),
    )


async def append_event(
    conn: Connection,
    *,
    complaint_id: int,
    at: datetime,
    actor: str,
    kind: str,
    old_status: ComplaintStatus | None,
    new_status: ComplaintStatus | None,
    note: str,
) -> None:
    await conn.execute(
        "INSERT INTO complaint_events (complaint_id, at, actor, kind, old_status, new_status,"
        " note) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            complaint_id,
            at,
            actor,
            kind,
            old_status.value if old_status else None,
            new_status.value if new_status else None,
            note,
        ),
    )


async def get_complaint(
    conn: Connection, *, complaint_id: int, for_update: bool = False
) -> Complaint | None:
    """A complaint by id; ``for_update`` holds its row until the transaction ends."""
    lock = " FOR UPDATE" if for_update else ""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM complaints WHERE id = %s{lock}", (complaint_id,)
    )
    row = await cursor.fetchone()
    return _complaint(row) if row else None


async def list_complaints(
    conn: Connection,
    *,
    scope: CustomerScope,
    ticket_id: int | None = None,
    status: ComplaintStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Complaint]:
    """The scope's complaints newest first, optionally of one ticket."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM complaints
        WHERE {scope_filter("customer", "customer_id")}
          AND (%(ticket)s::bigint IS NULL OR ticket_id = %(ticket)s)
          AND (%(status)s::text IS NULL OR status = %(status)s)
        ORDER BY registered_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            **scope.params,
            "ticket": ticket_id,
            "status": status.value if status else None,
            "limit": limit,
            "offset": offset,
        },
    )
    return [_complaint(row) for row in await cursor.fetchall()]


async def complaint_events(conn: Connection, *, complaint_id: int) -> list[ComplaintEvent]:
    """A complaint's history, oldest first."""
    cursor = await conn.execute(
        "SELECT at, actor, kind, old_status, new_status, note FROM complaint_events"
        " WHERE complaint_id = %s ORDER BY at, id",
        (complaint_id,),
    )
    return [
        ComplaintEvent(
            at=at,
            actor=actor,
            kind=kind,
            old_status=ComplaintStatus(old) if old else None,
            new_status=ComplaintStatus(new) if new else None,
            note=note,
        )
        for at, actor, kind, old, new, note in await cursor.fetchall()
    ]


def _complaint(row: tuple[Any, ...]) -> Complaint:
    return Complaint(
        id=row[0],
        number=row[1],
        status=ComplaintStatus(row[2]),
        customer_id=row[3],
        ticket_id=row[4],
        description=row[5],
        contact_name=row[6],
        severity=Severity(row[7]),
        registered_by=row[8],
        registered_at=row[9],
        answer_due=row[10],
        category=ComplaintCategory(row[11]) if row[11] else None,
        findings=row[12],
        answer=row[13],
        answered_at=row[14],
        closed_at=row[15],
    )
