"""Moments marked on a machine's chart and attached to a ticket, with their audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter
from storage.ticket_store import append_event

_COLUMNS = "id, ticket_id, machine_id, at, signal, note, created_by, created_at"

_INSERT = f"""
INSERT INTO ticket_annotations
    (ticket_id, machine_id, at, signal, note, created_by, created_at, idempotency_key)
VALUES (%(ticket)s, %(machine)s, %(at)s, %(signal)s, %(note)s, %(by)s, %(now)s, %(key)s)
ON CONFLICT (created_by, idempotency_key) DO NOTHING
RETURNING {_COLUMNS}
"""

_BY_KEY = f"""
SELECT {_COLUMNS} FROM ticket_annotations WHERE created_by = %s AND idempotency_key = %s
"""

_OF_TICKET = f"""
SELECT {_COLUMNS} FROM ticket_annotations
WHERE ticket_id = %(ticket)s AND {scope_filter("ticket", "ticket_id")}
ORDER BY at, id
"""

# A machine's marks are its tickets' notes: the customer of the ticket must be the
# scope's, not only the machine's owner.
_OF_MACHINE = f"""
SELECT {_COLUMNS} FROM ticket_annotations
WHERE machine_id = %(machine)s AND at >= %(since)s AND at <= %(until)s
  AND {scope_filter("ticket", "ticket_id")}
ORDER BY at, id
"""


@dataclass(frozen=True, slots=True)
class Annotation:
    """A note on one moment of a machine (and one of its signals, or none)."""

    id: int
    ticket_id: int
    machine_id: str
    at: datetime
    signal: str | None
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AnnotationDraft:
    ticket_id: int
    machine_id: str
    at: datetime
    signal: str | None
    note: str


def _annotation(row: tuple[Any, ...]) -> Annotation:
    return Annotation(*row)


def event_note(draft: AnnotationDraft) -> str:
    """The line the ticket's history shows for the annotation."""
    where = f"{draft.machine_id} {draft.signal}" if draft.signal else draft.machine_id
    return f"{where} at {draft.at.isoformat()}: {draft.note}"


async def add_annotation(
    conn: Connection,
    *,
    draft: AnnotationDraft,
    created_by: str,
    now: datetime,
    idempotency_key: str | None,
) -> tuple[Annotation, bool]:
    """Store the annotation and its ``annotation`` event in one transaction; returns it and
    whether it is new (False: the same key was used before, and that annotation returns)."""
    async with conn.transaction():
        cursor = await conn.execute(
            _INSERT,
            {
                "ticket": draft.ticket_id,
                "machine": draft.machine_id,
                "at": draft.at,
                "signal": draft.signal,
                "note": draft.note,
                "by": created_by,
                "now": now,
                "key": idempotency_key,
            },
        )
        row = await cursor.fetchone()
        if row is None:
            cursor = await conn.execute(_BY_KEY, (created_by, idempotency_key))
            earlier = await cursor.fetchone()
            assert earlier is not None  # the conflict was on this very key
            return _annotation(earlier), False
        await append_event(
            conn,
            ticket_id=draft.ticket_id,
            at=now,
            kind="annotation",
            note=event_note(draft),
            actor=created_by,
        )
    return _annotation(row), True


async def annotations_of_ticket(
    conn: Connection, *, ticket_id: int, scope: CustomerScope
) -> list[Annotation]:
    """A ticket's marks, oldest moment first; none for a ticket outside the scope."""
    cursor = await conn.execute(_OF_TICKET, {"ticket": ticket_id, **scope.params})
    return [_annotation(row) for row in await cursor.fetchall()]


async def annotations_of_machine(
    conn: Connection, *, machine_id: str, since: datetime, until: datetime, scope: CustomerScope
) -> list[Annotation]:
    """A machine's marks in a range, both ends included, to draw on its chart; only those
    on the scope's tickets."""
    cursor = await conn.execute(
        _OF_MACHINE, {"machine": machine_id, "since": since, "until": until, **scope.params}
    )
    return [_annotation(row) for row in await cursor.fetchall()]
