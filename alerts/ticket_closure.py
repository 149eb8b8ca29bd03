"""What closing a ticket adds to its moves, inside the move's transaction: the archive
waits for a required root cause analysis, and a verified ticket asks for the sign-off.

``alerts.ticket_commands.move_ticket`` calls these; the closure's own commands are
in ``alerts.closure_commands``.
"""

from __future__ import annotations

from datetime import datetime

from alerts.rca_rules import REPEAT_WINDOW, archive_blocker, rca_requirement
from models.service_report import RcaRequirement
from models.tickets import Ticket, TicketStatus
from storage import service_report_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER


async def rca_requirement_of(conn: Connection, *, ticket: Ticket) -> RcaRequirement:
    """Whether the ticket needs a root cause analysis before archiving, and why."""
    subjects = await service_report_store.rca_subjects(
        conn,
        machine_id=ticket.draft.machine_id,
        since=ticket.draft.received_at - REPEAT_WINDOW,
        until=ticket.draft.received_at,
    )
    own = next(s for s in subjects if s.ticket_id == ticket.id)  # received in the range
    return rca_requirement(own, subjects)


async def archive_blocker_of(conn: Connection, *, ticket: Ticket) -> str | None:
    """Why a reviewed ticket may not be archived yet (its RCA is missing), or None.

    A request withdrawn or duplicated before any work (archived from registered or
    classified with a reason) needs no RCA.
    """
    if ticket.status is not TicketStatus.REVIEWED:
        return None
    requirement = await rca_requirement_of(conn, ticket=ticket)
    rca = await service_report_store.rca(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    return archive_blocker(requirement, rca, ticket_id=ticket.id)


async def note_sign_off_requested(conn: Connection, *, ticket: Ticket, at: datetime) -> None:
    """A verified ticket waits for the customer's signature: the history (and the
    notifications reading it) say so. Called inside the move's transaction."""
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=at,
        kind="sign_off_requested",
        note=f"please sign off the service report of ticket {ticket.number}, or tell us"
        " what is not right",
    )
