"""A dispatch that reserves parts: the ticket goes to the engineer and the parts are held
for it through the stock ledger, in one transaction.

When the stock cannot cover one reservation, nothing is dispatched and nothing
reserved. A repeated dispatch (the same Idempotency-Key) reserves nothing again.
Reserved parts join the parts to bring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts import dispatch_commands
from alerts.dispatch_commands import Dispatched
from alerts.stock_commands import Refused
from alerts.stock_ledger_rules import Refusal as StockRefusal
from alerts.ticket_lifecycle import Refusal
from alerts.ticket_part_reservations import PartReservation, reserve_for_ticket
from models.dispatch import DispatchInstructions, PartToBring
from models.stock import LedgerEntry
from models.users import User
from storage.connections import Connection


@dataclass(frozen=True, slots=True)
class DispatchedWithParts:
    dispatched: Dispatched
    reservations: tuple[LedgerEntry, ...]


async def dispatch_with_parts(
    conn: Connection,
    *,
    ticket_id: int,
    engineer_login: str,
    instructions: DispatchInstructions,
    reservations: Sequence[PartReservation],
    user: User,
    at: datetime,
    idempotency_key: str | None,
) -> DispatchedWithParts | Refusal | StockRefusal | None:
    """Dispatch the ticket and reserve the parts for it, all or nothing: the dispatch's
    refusal, the stock's refusal, or None when there is no ticket. The reserved parts join
    the parts to bring. Raises ``DispatchError`` as the dispatch does."""
    listed = _with_reserved(instructions, reservations)
    try:
        async with conn.transaction():
            result = await dispatch_commands.dispatch_ticket(
                conn,
                ticket_id=ticket_id,
                engineer_login=engineer_login,
                instructions=listed,
                user=user,
                at=at,
                idempotency_key=idempotency_key,
            )
            if not isinstance(result, Dispatched):
                return result
            if not result.created:  # the same dispatch again: its parts are held already
                return DispatchedWithParts(result, ())
            booked = [
                await reserve_for_ticket(conn, ticket_id=ticket_id, reservation=r, user=user, at=at)
                for r in reservations
            ]
    except Refused as refused:
        return refused.refusal
    return DispatchedWithParts(result, tuple(booked))


def _with_reserved(
    instructions: DispatchInstructions, reservations: Sequence[PartReservation]
) -> DispatchInstructions:
    listed = {p.part_number for p in instructions.parts}
    extra = tuple(
        PartToBring(r.part_number, r.quantity, f"reserved in {r.store_id}")
        for r in reservations
        if r.part_number not in listed
    )
    return DispatchInstructions(instructions.tools, instructions.parts + extra, instructions.note)
