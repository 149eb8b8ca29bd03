"""Booking stock movements: the ledger's rules applied to the locked books, one transaction.

A booking locks the stock levels it touches (in store order, so two transfers
never deadlock), then the serialized unit it moves, asks
``alerts.stock_ledger_rules`` what the movement does to what it just read under
the lock, and writes the ledger row(s) and the new level(s). Two people taking the
last unit queue on the level's row lock: the second reads the first's booking and
is refused. A refusal rolls back everything the booking began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from alerts.stock_ledger_rules import (
    Balance,
    Refusal,
    check_request,
    deltas_for,
    incoming_deltas,
    next_serial_status,
)
from models.stock import (
    Deltas,
    LedgerEntry,
    MovementKind,
    MovementRequest,
    SerialStatus,
    StockLevel,
)
from storage import stock_store
from storage.connections import Connection


class Refused(Exception):
    """Raised inside a booking's transaction so that it rolls back; carries the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def refuse(message: str) -> NoReturn:
    raise Refused(Refusal(message))


@dataclass(frozen=True, slots=True)
class Booking:
    """The entries a movement wrote (two for a transfer) and the levels after it."""

    entries: tuple[LedgerEntry, ...]
    levels: tuple[StockLevel, ...]


async def book_movement(
    conn: Connection,
    *,
    request: MovementRequest,
    actor: str,
    at: datetime,
    requisition_id: int | None = None,
) -> Booking | Refusal:
    """Book one movement in its own transaction, or say why not (nothing is written)."""
    try:
        async with conn.transaction():
            return await book_in_transaction(
                conn, request=request, actor=actor, at=at, requisition_id=requisition_id
            )
    except Refused as refused:
        return refused.refusal


async def book_in_transaction(
    conn: Connection,
    *,
    request: MovementRequest,
    actor: str,
    at: datetime,
    requisition_id: int | None = None,
) -> Booking:
    """Book one movement inside the caller's transaction; raises ``Refused``."""
    serialized = await stock_store.is_serialized(conn, part_number=request.part_number)
    if serialized is None:
        refuse(f"there is no part {request.part_number} in the catalogue")
    _raise(check_request(request, serialized=serialized))
    await _check_references(conn, request)
    store_ids = sorted({request.store_id, request.to_store_id or request.store_id})
    levels = {
        sid: await stock_store.lock_level(conn, store_id=sid, part_number=request.part_number)
        for sid in store_ids
    }
    source = levels[request.store_id]
    held = 0
    if request.ticket_id is not None:
        held = await stock_store.ticket_reserved(
            conn,
            store_id=request.store_id,
            part_number=request.part_number,
            ticket_id=request.ticket_id,
        )
    deltas = deltas_for(request, Balance(source.on_hand, source.reserved, source.faulty, held))
    if isinstance(deltas, Refusal):
        raise Refused(deltas)
    if serialized and request.serial is not None:  # reservations are counted, not named
        await _move_serial(conn, request, at)
    halves = [(request.kind, request.store_id, deltas, request.to_store_id)]
    if request.to_store_id is not None:
        incoming = incoming_deltas(request)
        halves.append((MovementKind.TRANSFER_IN, request.to_store_id, incoming, request.store_id))
    entries, after = [], []
    for kind, store_id, change, counterpart in halves:
        entries.append(
            await stock_store.append_entry(
                conn,
                kind=kind,
                request=request,
                store_id=store_id,
                deltas=change,
                counterpart_store_id=counterpart,
                actor=actor,
                at=at,
                requisition_id=requisition_id,
            )
        )
        after.append(await _apply(conn, store_id, request.part_number, change))
    return Booking(tuple(entries), tuple(after))


async def _apply(conn: Connection, store_id: str, part_number: str, deltas: Deltas) -> StockLevel:
    return await stock_store.apply_deltas(
        conn, store_id=store_id, part_number=part_number, deltas=deltas
    )


def _raise(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise Refused(refusal)


async def _check_references(conn: Connection, request: MovementRequest) -> None:
    for store_id in filter(None, (request.store_id, request.to_store_id)):
        if await stock_store.get_store(conn, store_id=store_id) is None:
            refuse(f"there is no store {store_id}")
    if request.ticket_id is not None and not await stock_store.ticket_exists(
        conn, ticket_id=request.ticket_id
    ):
        refuse(f"there is no ticket {request.ticket_id}")


async def _move_serial(conn: Connection, request: MovementRequest, at: datetime) -> None:
    assert request.serial is not None
    current = await stock_store.lock_serial(
        conn, part_number=request.part_number, serial=request.serial
    )
    moved = next_serial_status(request, current)
    if isinstance(moved, Refusal):
        raise Refused(moved)
    assert isinstance(moved, SerialStatus)
    await stock_store.save_serial(conn, status=moved, at=at)
