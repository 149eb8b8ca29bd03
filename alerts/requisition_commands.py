"""Requisitions: parts asked for a store (per ticket or to refill safety stock), and the
parts manager's decision, each in one transaction.

Approving a requisition that names a source store books the transfer at once
(flagged emergency when asked so; serialized units are taken longest-stored
first); one without a source becomes a receipt order to the part's supplier,
expected after its lead time, and receiving it books the receipt. A refused
booking leaves the requisition pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from alerts.stock_commands import Refused, book_in_transaction, refuse
from alerts.stock_ledger_rules import Refusal
from models.stock import MovementKind, MovementRequest, Requisition, RequisitionStatus
from storage import parts_store, requisition_store, stock_store
from storage.connections import Connection

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
        exists, customer_id = await requisition_store.ticket_customer(conn, ticket_id=ticket_id)
        if not exists:
            return Refusal(f"there is no ticket {ticket_id}")
    return await requisition_store.insert_requisition(
        conn,
        part_number=part_number,
        quantity=quantity,
        purpose=purpose,
        store_id=store_id,
        from_store_id=from_store_id,
        ticket_id=ticket_id,
        customer_id=customer_id,
        emergency=emergency,
        by=by,
        at=at,
    )


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
            found = await requisition_store.lock_requisition(conn, requisition_id=requisition_id)
            if found is None:
                return None
            if found.status is not R.PENDING:
                refuse(f"requisition {requisition_id} is {found.status} already")
            status, expected = R.REJECTED, None
            if approve and found.from_store_id is not None:
                await _book_transfer(conn, found, by, at)
                status = R.APPROVED
            elif approve:
                part = await parts_store.get_part(conn, part_number=found.part_number)
                assert part is not None  # a requisition's part stays in the catalogue
                status, expected = R.ORDERED, at + timedelta(days=part.part.lead_time_days)
            return await requisition_store.set_decided(
                conn,
                requisition_id=found.id,
                status=status,
                note=note,
                by=by,
                at=at,
                expected_at=expected,
            )
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
            found = await requisition_store.lock_requisition(conn, requisition_id=requisition_id)
            if found is None:
                return None
            if found.status is not R.ORDERED:
                refuse(f"requisition {requisition_id} is {found.status}, not ordered")
            if serials and len(serials) != found.quantity:
                refuse(f"{len(serials)} serials for {found.quantity} units: one per unit")
            units: Sequence[str | None] = list(serials) or [None]
            for serial in units:
                request = MovementRequest(
                    kind=MovementKind.RECEIPT,
                    store_id=found.store_id,
                    part_number=found.part_number,
                    quantity=1 if serials else found.quantity,
                    ticket_id=found.ticket_id,
                    serial=serial,
                    reason=f"requisition {found.id}",
                )
                await book_in_transaction(
                    conn, request=request, actor=by, at=at, requisition_id=found.id
                )
            return await requisition_store.set_received(conn, requisition_id=found.id)
    except Refused as refused:
        return refused.refusal


async def _book_transfer(conn: Connection, found: Requisition, by: str, at: datetime) -> None:
    assert found.from_store_id is not None
    part = await parts_store.get_part(conn, part_number=found.part_number)
    assert part is not None  # a requisition's part stays in the catalogue
    units: list[str | None] = [None]
    quantity = found.quantity
    if part.part.serialized:
        # Not locked here: each transfer locks the level, then the unit, and checks it again.
        found_units = await requisition_store.units_in_store(
            conn,
            part_number=found.part_number,
            store_id=found.from_store_id,
            limit=found.quantity,
        )
        if len(found_units) < found.quantity:
            refuse(
                f"not enough stock: {found.from_store_id} has {len(found_units)} in store of"
                f" {found.part_number}, {found.quantity} asked"
            )
        units, quantity = list(found_units), 1
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
        await book_in_transaction(conn, request=request, actor=by, at=at, requisition_id=found.id)
