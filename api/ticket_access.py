"""Who may see a ticket: staff, the ticket's own customer, and the field engineer it is
dispatched to. Anyone else gets 404, exactly as for a ticket that does not exist."""

from __future__ import annotations

from alerts import ticket_commands
from api.access_scope import can_see, not_found
from models.tickets import Ticket
from models.users import User
from storage import ticket_store
from storage.connections import Connection


async def visible_ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    """The ticket if ``user`` may see it; otherwise 404."""
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id)
    if ticket is None or not can_see(user, ticket.draft.customer_id):
        raise not_found("ticket", ticket_id)
    if not await ticket_commands.works_on(conn, ticket_id=ticket_id, user=user):
        raise not_found("ticket", ticket_id)  # another field engineer's job
    return ticket
