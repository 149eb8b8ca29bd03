"""Requisitions: parts asked for a store (per ticket or to refill safety stock), and the
parts manager's decision.

Approving a requisition that names a source store books the transfer at once
(flagged emergency when asked so); one without a source becomes a receipt order
to the part's supplier, expected after its lead time, and receiving it books the
receipt. A refused booking leaves the requisition pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from models.stock import MovementKind, MovementRequest, Requisition, RequisitionStatus
from parts.ledger_rules import Refusal
from storage import parts_store, stock_store
from storage.connections import Connection
from storage.stock_store import Refused

_COLUMNS = (
    "id, part_number, quantity, purpose, store_id, from_store_id, ticket_id, customer_id,"
    " emergency, status, requested_by, requested_at, decided_by, decided_at, decision_note,"
    " expected_at"
)
R = RequisitionStatus


async def create_requisition(
    conn: Connection,
    *,
    part_number: str,
    quantity: int,
    purpose: str,
    store_id: str,
    from_store_id: str | None,
    ticket_id: int | None,
    emergency: bool,
    by: str,
    at: datetime,
) -> Requisition | Refusal:
    """Ask for parts; the customer is the ticket's. Refused for unknown parts, stores, tickets."""
    if quantity <= 0:
        return Refusal("the quantity must be positive")
    if not purpose.strip():
        return Refusal("say what the parts are for (the purpose)")
    if from_store_id == store_id:
        return Refusal("a requisition asks another store, or the supplier")
    if await parts_store.get_part(conn, part_number=part_number) is None:
        return Refusal(f"there is no part {part_number} in the catalogue")
    for sid in filter(None, (store_id, from_store_id)):
        if await stock_store.get_store(conn, store_id=sid) is None:
            return Refusal(f"there is no store {sid}")
    customer_id = None
    if ticket_id is not None:
        cursor = await conn.execute("SELECT customer_id FROM tickets WHERE id = %s", (ticket_id,))
        row = await cursor.fetchone()
        if row is None:
            return Refusal(f"there is no ticket {ticket_id}")
        customer_id = row[0]
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
    conn: Connection, *, statuses: Sequence[RequisitionStatus] = (), limit: int = 200
) -> list[Requisition]:
    """Newest first; with ``statuses`` only those."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM requisitions
        WHERE cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s)
        ORDER BY id DESC LIMIT %(limit)s
        """,
        {"statuses": [s.value for s in statuses], "limit": limit},
    )
    return [_requisition(row) for row in await cursor.fetchall()]


async def get_requisition(conn: Connection, *, requisition_id: int) -> Requisition | None:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM requisitions WHERE id = %s", (requisition_id,)
    )
    row = await cursor.fetchone()
    return _requisition(row) if row else None


async def decide(
    conn: Connection,
    *,
    requisition_id: int,
    approve: bool,
    note: str,
    by: str,
    at: datetime,
) -> Requisition | Refusal | None:
    """Approve or reject a pending requisition; None when there is none with this id."""
    try:
        async with conn.transaction():
            found = await _lock(conn, requisition_id)
            if found is None:
                return None
            if found.status is not R.PENDING:
                raise Refused(Refusal(f"requisition {requisition_id} is {found.status} already"))
            if not approve:
                return await _decided(conn, found, R.REJECTED, note, by, at, None)
            if found.from_store_id is not None:
                await _book_transfer(conn, found, by, at)
                return await _decided(conn, found, R.APPROVED, note, by, at, None)
            part = await parts_store.get_part(conn, part_number=found.part_number)
            assert part is not None  # a requisition's part stays in the catalogue
            expected = at + timedelta(days=part.part.lead_time_days)
            return await _decided(conn, found, R.ORDERED, note, by, at, expected)
    except Refused as refused:
        return refused.refusal


async def receive(
    conn: Connection,
    *,
    requisition_id: int,
    serials: Sequence[str],
    by: str,
    at: datetime,
) -> Requisition | Refusal | None:
    """Book the receipt of an ordered requisition (one serial per unit of a serialized part)."""
    try:
        async with conn.transaction():
            found = await _lock(conn, requisition_id)
            if found is None:
                return None
            if found.status is not R.ORDERED:
                raise Refused(
                    Refusal(f"requisition {requisition_id} is {found.status}, not ordered")
                )
            units: Sequence[str | None] = list(serials) or [None]
            if serials and len(serials) != found.quantity:
                raise Refused(
                    Refusal(f"{len(serials)} serials for {found.quantity} units: one per unit")
                )
            quantity = 1 if serials else found.quantity
            for serial in units:
                request = MovementRequest(
                    kind=MovementKind.RECEIPT,
                    store_id=found.store_id,
                    part_number=found.part_number,
                    quantity=quantity,
                    ticket_id=found.ticket_id,
                    serial=serial,
                    reason=f"requisition {found.id}",
                )
                await stock_store.book_in_transaction(
                    conn, request=request, actor=by, at=at, requisition_id=found.id
                )
            await conn.execute(
                "UPDATE requisitions SET status = 'received' WHERE id = %s", (found.id,)
            )
            return await get_requisition(conn, requisition_id=found.id)
    except Refused as refused:
        return refused.refusal


async def _lock(conn: Connection, requisition_id: int) -> Requisition | None:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM requisitions WHERE id = %s FOR UPDATE", (requisition_id,)
    )
    row = await cursor.fetchone()
    return _requisition(row) if row else None


async def _book_transfer(conn: Connection, found: Requisition, by: str, at: datetime) -> None:
    """Move the parts; a serialized part's units are taken oldest first from the source."""
    assert found.from_store_id is not None
    part = await parts_store.get_part(conn, part_number=found.part_number)
    assert part is not None  # a requisition's part stays in the catalogue
    units: list[str | None] = [None]
    quantity = found.quantity
    if part.part.serialized:
        units = list(await _units_in_store(conn, found))
        quantity = 1
    for serial in units:
        request = MovementRequest(
            kind=MovementKind.TRANSFER_OUT,
            store_id=found.from_store_id,
            part_number=found.part_number,
            quantity=quantity,
            ticket_id=found.ticket_id,
            serial=serial,
            reason=f"requisition {found.id}: {found.purpose}",
            to_store_id=found.store_id,
            emergency=found.emergency,
        )
        await stock_store.book_in_transaction(
            conn, request=request, actor=by, at=at, requisition_id=found.id
        )


async def _units_in_store(conn: Connection, found: Requisition) -> list[str]:
    # Not locked here: each transfer locks the level, then the unit, and checks it again.
    cursor = await conn.execute(
        "SELECT serial FROM part_serials WHERE part_number = %s AND store_id = %s"
        " AND state = 'in_store' ORDER BY updated_at, serial LIMIT %s",
        (found.part_number, found.from_store_id, found.quantity),
    )
    units = [str(row[0]) for row in await cursor.fetchall()]
    if len(units) < found.quantity:
        raise Refused(
            Refusal(
                f"not enough stock: {found.from_store_id} has {len(units)} in store of"
                f" {found.part_number}, {found.quantity} asked"
            )
        )
    return units


async def _decided(
    conn: Connection,
    found: Requisition,
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
        (status.value, by, at, note, expected_at, found.id),
    )
    row = await cursor.fetchone()
    assert row is not None
    return _requisition(row)


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
