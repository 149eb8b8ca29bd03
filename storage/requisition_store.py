"""Requisitions in the database: parts asked for a store, and the parts manager's decision.

``alerts/requisition_commands.py`` decides and books; this module only reads and
writes the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.stock import Requisition, RequisitionStatus
from storage.connections import Connection

_COLUMNS = (
    "id, part_number, quantity, purpose, store_id, from_store_id, ticket_id, customer_id,"
    " emergency, status, requested_by, requested_at, decided_by, decided_at, decision_note,"
    " expected_at"
)


async def insert_requisition(
    conn: Connection,
    *,
    part_number: str,
    quantity: int,
    purpose: str,
    store_id: str,
    from_store_id: str | None,
    ticket_id: int | None,
    customer_id: str | None,
    emergency: bool,
    by: str,
    at: datetime,
) -> Requisition:
    """A new pending requisition."""
    cursor = await conn.execute(
        f"""
        INSERT INTO requisitions (part_number, quantity, purpose, store_id, from_store_id,
            ticket_id, customer_id, emergency, requested_by, requested_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING {_COLUMNS}
        """,
        (
            part_number,
            quantity,
            purpose,
            store_id,
            from_store_id,
            ticket_id,
            customer_id,
            emergency,
            by,
            at,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return _requisition(row)


async def list_requisitions(
    conn: Connection,
    *,
    statuses: Sequence[RequisitionStatus] = (),
    store_id: str | None = None,
    ticket_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Requisition]:
    """Newest first; with ``statuses`` only those, with ``store_id`` only those for that
    store, with ``ticket_id`` only those of that ticket."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM requisitions
        WHERE (cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s))
          AND (%(store)s::text IS NULL OR store_id = %(store)s)
          AND (%(ticket)s::bigint IS NULL OR ticket_id = %(ticket)s)
        ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            "statuses": [s.value for s in statuses],
            "store": store_id,
            "ticket": ticket_id,
            "limit": limit,
            "offset": offset,
        },
    )
    return [_requisition(row) for row in await cursor.fetchall()]


async def get_requisition(conn: Connection, *, requisition_id: int) -> Requisition | None:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM requisitions WHERE id = %s", (requisition_id,)
    )
    row = await cursor.fetchone()
    return _requisition(row) if row else None


async def lock_requisition(conn: Connection, *, requisition_id: int) -> Requisition | None:
    """The requisition, locked until the transaction ends (one decision at a time)."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM requisitions WHERE id = %s FOR UPDATE", (requisition_id,)
    )
    row = await cursor.fetchone()
    return _requisition(row) if row else None


async def set_decided(
    conn: Connection,
    *,
    requisition_id: int,
    status: RequisitionStatus,
    note: str,
    by: str,
    at: datetime,
    expected_at: datetime | None,
) -> Requisition:
    cursor = await conn.execute(
        f"""
        UPDATE requisitions SET status = %s, decided_by = %s, decided_at = %s,
            decision_note = %s, expected_at = %s
        WHERE id = %s RETURNING {_COLUMNS}
        """,
        (status.value, by, at, note, expected_at, requisition_id),
    )
    row = await cursor.fetchone()
    assert row is not None
    return _requisition(row)


async def set_received(conn: Connection, *, requisition_id: int) -> Requisition:
    cursor = await conn.execute(
        f"UPDATE requisitions SET status = 'received' WHERE id = %s RETURNING {_COLUMNS}",
        (requisition_id,),
    )
    row = await cursor.fetchone()
    assert row is not None
    return _requisition(row)


async def units_in_store(
    conn: Connection, *, part_number: str, store_id: str, limit: int
) -> list[str]:
    """Serviceable units of a serialized part in the store, longest there first."""
    cursor = await conn.execute(
        "SELECT serial FROM part_serials WHERE part_number = %s AND store_id = %s"
        " AND state = 'in_store' ORDER BY updated_at, serial LIMIT %s",
        (part_number, store_id, limit),
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def ticket_customer(conn: Connection, *, ticket_id: int) -> tuple[bool, str | None]:
    """(whether the ticket exists, its customer)."""
    cursor = await conn.execute("SELECT customer_id FROM tickets WHERE id = %s", (ticket_id,))
    row = await cursor.fetchone()
    return (row is not None, row[0] if row else None)


def _requisition(row: tuple[Any, ...]) -> Requisition:
    return Requisition(
        id=row[0],
        part_number=row[1],
        quantity=row[2],
        purpose=row[3],
        store_id=row[4],
        from_store_id=row[5],
        ticket_id=row[6],
        customer_id=row[7],
        emergency=row[8],
        status=RequisitionStatus(row[9]),
        requested_by=row[10],
        requested_at=row[11],
        decided_by=row[12],
        decided_at=row[13],
        decision_note=row[14],
        expected_at=row[15],
    )
