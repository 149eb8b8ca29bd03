"""GET /api/tickets and /api/tickets/{id}: service tickets with SLA deadlines and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.access_scope import can_see, customer_filter, not_found
from api.deps import ConnDep, CurrentUser
from api.schemas.tickets import TicketDetailPublic, TicketPublic
from storage import ticket_store

router = APIRouter(prefix="/tickets", tags=["tickets"])

# Ticket ids are bigserial: anything outside is no ticket, and must not reach the database.
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("")
async def list_tickets(
    user: CurrentUser,
    conn: ConnDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TicketPublic]:
    """Tickets as the store orders them, of the user's own customer only for customers."""
    tickets = await ticket_store.list_tickets(conn, customer_id=customer_filter(user), limit=limit)
    return [TicketPublic.of(t) for t in tickets]


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: TicketId, user: CurrentUser, conn: ConnDep) -> TicketDetailPublic:
    """One ticket with its events; 404 when it does not exist or is another customer's."""
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id)
    if ticket is None or not can_see(user, ticket.draft.customer_id):
        raise not_found("ticket", ticket_id)
    events = await ticket_store.ticket_events(conn, ticket_id=ticket_id)
    return TicketDetailPublic.with_events(ticket, events)
