"""A second warning on a machine joins the machine's open ticket instead of opening another.

One fault, one ticket: while a fault ticket on the machine is still being worked
(not yet repaired), a new alert on it is linked to that ticket, which records it
and takes the worse grade. Tickets of other work (planned maintenance, a
question, a training) are not joined: the warning is a fault of its own. Once
the fault is repaired, a new warning is a new fault and opens a ticket of its own.
The alert's row is locked before the ticket's, as everywhere in the alert job.
"""

from __future__ import annotations

from datetime import datetime

from alerts.ticket_escalation import is_past_repair, regrade_for
from models.alerts import Alert
from models.tickets import TicketStatus
from storage import alert_store, ticket_store, ticket_workflow_store
from storage.connections import Connection

_NOT_JOINABLE = [s for s in TicketStatus if is_past_repair(s)]


async def join_open_ticket(conn: Connection, *, alert: Alert, now: datetime) -> int | None:
    """Link ``alert`` to its machine's open ticket and record it; the ticket id, or None."""
    candidates = await ticket_workflow_store.open_tickets_of_machines(
        conn, machine_ids=[alert.machine_id], closed=_NOT_JOINABLE
    )
    for ticket_id in reversed(candidates):  # the newest open ticket first
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None or is_past_repair(ticket.status) or not ticket.draft.ticket_type.is_fault:
            continue
        await alert_store.link_ticket(conn, alert_id=alert.id, ticket_id=ticket_id)
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=now,
            kind="alert_joined",
            note=f"another warning on this machine joined the ticket: {alert.message}",
            field="signals",
            new_value=", ".join(alert.signals),
        )
        regrade = regrade_for(ticket, alert.severity)
        if regrade is not None:
            await ticket_store.regrade_ticket(
                conn,
                ticket_id=ticket_id,
                old_severity=ticket.draft.severity,
                severity=regrade.severity,
                ticket_type=regrade.ticket_type,
                at=now,
                kind="regraded",
                note="the joining warning is worse; SLA deadlines unchanged",
            )
        return ticket_id
    return None
