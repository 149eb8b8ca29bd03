"""Who may see a ticket: staff, the ticket's own customer, and the field engineer it is
dispatched to. Anyone else gets 404, exactly as for a ticket that does not exist."""

from __future__ import annotations

from alerts import ticket_commands
from api.access_scope import can_see, not_found, scope_of
from models.tickets import Ticket
from models.users import User
from storage import ticket_store
from storage.connections import Connection
from storage.customer_scope import ticket_within


async def visible_ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    """The ticket if ``user`` may see it; otherwise 404.

    Checked three times over for a customer: in the query (the scope), on the ticket
    read back, and by row-level security on the customer's connection.
    """
    if not await ticket_within(conn, ticket_id=ticket_id, scope=scope_of(user)):
        raise not_found("ticket", ticket_id)
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=scope_of(user))
    if ticket is None or not can_see(user, ticket.draft.customer_id):
        raise not_found("ticket", ticket_id)
    if not await ticket_commands.works_on(conn, ticket_id=ticket_id, user=user):
        raise not_found("ticket", ticket_id)  # another field engineer's job
    return ticket
