"""Re-grading an alert's ticket when its anomaly worsens. Pure.

The ticket takes the worse grade, and a general fault becomes an emergency
repair once a line is stopped or worse; a type a person chose is kept. The SLA
deadlines stay those set when the ticket was opened: response, arrival and
resolution on time are measured against the deadline that applied at opening
(DOMAIN.md, "Service levels"), and a deadline recomputed under the new grade
could already lie in the past, a breach of a promise that never applied. A
milder grade never lowers a ticket; that is for the service desk to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.ticket_workflow import ticket_type_for
from models.plant import Severity
from models.tickets import Ticket, TicketStatus, TicketType

# Once the fault is repaired, a worse anomaly is a returning fault: whether to
# reopen the ticket is a person's call (DOMAIN.md, "reopened").
_PAST_REPAIR = frozenset(
    {
        TicketStatus.REPAIRED,
        TicketStatus.RESOLVED_REMOTELY,
        TicketStatus.VERIFIED,
        TicketStatus.SIGNED_OFF,
        TicketStatus.SURVEY,
        TicketStatus.REVIEWED,
        TicketStatus.ARCHIVED,
        TicketStatus.COMPLAINT,
    }
)


@dataclass(frozen=True, slots=True)
class TicketRegrade:
    """A ticket's grade and type after an escalation; its SLA deadlines do not change."""

    severity: Severity
    ticket_type: TicketType


def is_past_repair(status: TicketStatus) -> bool:
    """True once the fault is repaired: anything more on it is a person's call."""
    return status in _PAST_REPAIR


def grade_rank(severity: Severity) -> int:
    """0 for minor up to 3 for major: the declaration order of ``Severity``."""
    return list(Severity).index(severity)


def is_worse(severity: Severity, *, than: Severity) -> bool:
    return grade_rank(severity) > grade_rank(than)


def regrade_for(ticket: Ticket, severity: Severity) -> TicketRegrade | None:
    """The ticket re-graded to ``severity``; None when that is no worse or the fault is repaired."""
    draft = ticket.draft
    if is_past_repair(ticket.status) or not is_worse(severity, than=draft.severity):
        return None
    return TicketRegrade(
        severity=severity,
        ticket_type=ticket_type_for(severity)
        if draft.ticket_type is TicketType.GENERAL_FAULT
        else draft.ticket_type,
    )


def escalation_note(alert_id: int, before: Ticket, after: TicketRegrade) -> str:
    """The history entry of an escalation: what changed, old value to new, and what did not."""
    old = before.draft
    changes = [f"severity {old.severity} -> {after.severity}"]
    if after.ticket_type is not old.ticket_type:
        changes.append(f"type {old.ticket_type} -> {after.ticket_type}")
    changes.append("SLA deadlines unchanged (measured as at opening)")
    return f"alert #{alert_id} worsened to {after.severity}: " + "; ".join(changes)


def unchanged_note(alert_id: int, ticket: Ticket, severity: Severity) -> str:
    """The history entry when an alert worsens but its ticket keeps its grade, and why."""
    if is_past_repair(ticket.status):
        reason = f"the ticket is {ticket.status}; reopen it if the fault has returned"
    else:
        reason = f"the ticket is already graded {ticket.draft.severity}"
    return f"alert #{alert_id} worsened to {severity}; grade unchanged: {reason}"
