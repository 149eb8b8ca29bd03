"""Parts held for a ticket: reserved through the stock ledger (by the dispatch,
``alerts.dispatch_with_parts``), and released when the ticket is archived with
whatever it still holds, so the shelf is free for the next ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.stock_commands import book_in_transaction, refuse
from alerts.stock_permissions import may_book
from models.stock import LedgerEntry, MovementKind, MovementRequest
from models.users import User
from storage import stock_store
from storage.connections import Connection
from storage.part_suggestion_queries import ticket_part_movements


@dataclass(frozen=True, slots=True)
class PartReservation:
    """Hold ``quantity`` of a part in a store for the ticket."""

    part_number: str
    store_id: str
    quantity: int = 1


async def reserve_for_ticket(
    conn: Connection, *, ticket_id: int, reservation: PartReservation, user: User, at: datetime
) -> LedgerEntry:
    """Reserve the part for the ticket inside the caller's transaction; raises ``Refused``
    when the user may not reserve in that store or the stock cannot cover it."""
    store = await stock_store.get_store(conn, store_id=reservation.store_id)
    if store is None:
        refuse(f"there is no store {reservation.store_id}")
    if not may_book(user, MovementKind.RESERVATION, store):
        refuse(f"a {user.role} may not reserve parts in {store.name}")
    request = MovementRequest(
        kind=MovementKind.RESERVATION,
        store_id=reservation.store_id,
        part_number=reservation.part_number,
        quantity=reservation.quantity,
        ticket_id=ticket_id,
        reason="reserved with the dispatch",
    )
    booking = await book_in_transaction(conn, request=request, actor=user.login, at=at)
    return booking.entries[0]


async def release_unused(
    conn: Connection, *, ticket_id: int, actor: str, at: datetime
) -> list[LedgerEntry]:
    """Release every part the ticket still holds reserved, inside the caller's transaction
    (the archive's move): one release per store and part."""
    released = []
    for held in await ticket_part_movements(conn, ticket_id=ticket_id):
        if held.reserved <= 0:
            continue
        # Read again under the level's lock: a concurrent issue may have used some.
        await stock_store.lock_level(conn, store_id=held.store.id, part_number=held.part_number)
        still = await stock_store.ticket_reserved(
            conn, store_id=held.store.id, part_number=held.part_number, ticket_id=ticket_id
        )
        if still <= 0:
            continue
        request = MovementRequest(
            kind=MovementKind.RELEASE,
            store_id=held.store.id,
            part_number=held.part_number,
            quantity=still,
            ticket_id=ticket_id,
            reason="not used: released when the ticket was archived",
        )
        booking = await book_in_transaction(conn, request=request, actor=actor, at=at)
        released.append(booking.entries[0])
    return released
