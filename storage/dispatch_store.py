"""Tickets dispatched to field engineers, and the desk's owners of tickets, in the database.

At most one assignment per ticket is current (not released); callers lock the
ticket first (``ticket_store.lock_ticket``) and record the audit entry in the
same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any, LiteralString

from models.dispatch import Assignment, DispatchInstructions, PartToBring, TicketOwner
from models.tickets import TicketStatus
from storage.connections import Connection

_COLUMNS = """
    a.id, a.ticket_id, a.engineer_login, a.dispatched_by, a.dispatched_at, a.tools, a.note,
    a.accepted_at, a.released_at
"""


async def record_assignment(
    conn: Connection,
    *,
    ticket_id: int,
    engineer_login: str,
    dispatched_by: str,
    at: datetime,
    instructions: DispatchInstructions,
    idempotency_key: str | None,
) -> Assignment:
    """Store a new current assignment with its parts; the ticket must have none current."""
    cursor = await conn.execute(
        """
        INSERT INTO ticket_assignments (ticket_id, engineer_login, dispatched_by,
            dispatched_at, tools, note, idempotency_key)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        RETURNING id
        """,
        (
            ticket_id,
            engineer_login,
            dispatched_by,
            at,
            list(instructions.tools),
            instructions.note,
            idempotency_key,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT ... RETURNING of one row
    async with conn.cursor() as parts:
        await parts.executemany(
            "INSERT INTO ticket_assignment_parts"
            " (assignment_id, position, part_number, quantity, description)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (row[0], i, p.part_number, p.quantity, p.description)
                for i, p in enumerate(instructions.parts)
            ],
        )
    return Assignment(
        id=row[0],
        ticket_id=ticket_id,
        engineer_login=engineer_login,
        dispatched_by=dispatched_by,
        dispatched_at=at,
        instructions=instructions,
    )


async def assignment_by_key(
    conn: Connection, *, dispatched_by: str, idempotency_key: str
) -> Assignment | None:
    """The assignment this person made with this idempotency key, current or not."""
    return await _one(
        conn,
        "a.dispatched_by = %s AND a.idempotency_key = %s",
        (dispatched_by, idempotency_key),
    )


async def current_assignment(conn: Connection, *, ticket_id: int) -> Assignment | None:
    """The ticket's current assignment, or None when it is with nobody in the field."""
    return await _one(conn, "a.ticket_id = %s AND a.released_at IS NULL", (ticket_id,))


async def is_assigned_to(conn: Connection, *, ticket_id: int, login: str) -> bool:
    """Whether the ticket is currently dispatched to this engineer."""
    cursor = await conn.execute(
        "SELECT 1 FROM ticket_assignments"
        " WHERE ticket_id = %s AND engineer_login = %s AND released_at IS NULL",
        (ticket_id, login),
    )
    return await cursor.fetchone() is not None


async def release_assignment(conn: Connection, *, ticket_id: int, at: datetime) -> str | None:
    """End the ticket's current assignment; the engineer it was with, None if there was none."""
    cursor = await conn.execute(
        "UPDATE ticket_assignments SET released_at = %s"
        " WHERE ticket_id = %s AND released_at IS NULL RETURNING engineer_login",
        (at, ticket_id),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def accept_assignment(conn: Connection, *, assignment_id: int, at: datetime) -> None:
    """The engineer accepted the job; a second acceptance keeps the first time."""
    await conn.execute(
        "UPDATE ticket_assignments SET accepted_at = coalesce(accepted_at, %s) WHERE id = %s",
        (at, assignment_id),
    )


async def jobs_of(
    conn: Connection,
    *,
    login: str,
    statuses: Collection[TicketStatus],
    limit: int | None = None,
    offset: int = 0,
) -> list[Assignment]:
    """The engineer's current assignments of tickets in these states, soonest due first;
    ``limit`` None: all of them."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM ticket_assignments a JOIN tickets t ON t.id = a.ticket_id
        WHERE a.engineer_login = %s AND a.released_at IS NULL AND t.status = ANY(%s)
        ORDER BY t.arrival_due NULLS LAST, t.resolution_due, a.ticket_id
        LIMIT %s OFFSET %s
        """,
        (login, [s.value for s in statuses], limit, offset),
    )
    return await _with_parts(conn, await cursor.fetchall())


async def _one(
    conn: Connection, where: LiteralString, params: tuple[Any, ...]
) -> Assignment | None:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM ticket_assignments a WHERE {where}", params
    )
    found = await _with_parts(conn, await cursor.fetchall())
    return found[0] if found else None


async def _with_parts(conn: Connection, rows: list[tuple[Any, ...]]) -> list[Assignment]:
    cursor = await conn.execute(
        "SELECT assignment_id, part_number, quantity, description FROM ticket_assignment_parts"
        " WHERE assignment_id = ANY(%s) ORDER BY assignment_id, position",
        ([row[0] for row in rows],),
    )
    parts: dict[int, list[PartToBring]] = defaultdict(list)
    for assignment_id, number, quantity, description in await cursor.fetchall():
        parts[assignment_id].append(PartToBring(number, quantity, description))
    return [
        Assignment(
            id=row[0],
            ticket_id=row[1],
            engineer_login=row[2],
            dispatched_by=row[3],
            dispatched_at=row[4],
            instructions=DispatchInstructions(
                tools=tuple(row[5]), parts=tuple(parts.get(row[0], ())), note=row[6]
            ),
            accepted_at=row[7],
            released_at=row[8],
        )
        for row in rows
    ]


async def set_owner(
    conn: Connection, *, ticket_id: int, owner: str, by: str, at: datetime
) -> str | None:
    """Make ``owner`` the ticket's owner in the queue; the owner before, None if there was none."""
    cursor = await conn.execute(
        """
        WITH before AS (SELECT owner FROM ticket_owners WHERE ticket_id = %(ticket)s)
        INSERT INTO ticket_owners (ticket_id, owner, assigned_by, assigned_at)
        VALUES (%(ticket)s, %(owner)s, %(by)s, %(at)s)
        ON CONFLICT (ticket_id) DO UPDATE SET owner = EXCLUDED.owner,
            assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at
        RETURNING (SELECT owner FROM before)
        """,
        {"ticket": ticket_id, "owner": owner, "by": by, "at": at},
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def ticket_owners(
    conn: Connection, *, owner: str | None, limit: int | None = None, offset: int = 0
) -> list[TicketOwner]:
    """The owners of tickets in the queue, of one owner or (None) of everyone, by ticket."""
    cursor = await conn.execute(
        "SELECT ticket_id, owner, assigned_by, assigned_at FROM ticket_owners"
        " WHERE (%(owner)s::text IS NULL OR owner = %(owner)s) ORDER BY ticket_id"
        " LIMIT %(limit)s OFFSET %(offset)s",
        {"owner": owner, "limit": limit, "offset": offset},
    )
    return [TicketOwner(*row) for row in await cursor.fetchall()]
