"""Re-grading an alert's ticket when its anomaly worsens. Pure.

A worse grade brings the worse grade's promises: the ticket takes the grade, a
general fault becomes an emergency repair once a line is stopped or worse, and
the SLA deadlines are recomputed from the time the ticket was received under
the new grade. An escalation only ever tightens: a deadline the new grade would
put later keeps its earlier value. A milder grade never lowers a ticket; that
is for the service desk to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.sla_deadlines import sla_deadlines
from alerts.ticket_workflow import ticket_type_for
from models.plant import Plant, Severity
from models.tickets import SlaDeadlines, Ticket, TicketStatus, TicketType

# Once the fault is repaired, a worse anomaly is a returning fault: whether to
# reopen the ticket is a person's call (DOMAIN.md, "reopened").
_PAST_REPAIR = frozenset(
    {TicketStatus.REPAIRED, TicketStatus.VERIFIED, TicketStatus.SIGNED_OFF, TicketStatus.ARCHIVED}
)


@dataclass(frozen=True, slots=True)
class TicketRegrade:
    """A ticket's grade, type and deadlines after an escalation."""

    severity: Severity
    ticket_type: TicketType
    deadlines: SlaDeadlines


def grade_rank(severity: Severity) -> int:
    """0 for minor up to 3 for major: the declaration order of ``Severity``."""
    return list(Severity).index(severity)


def is_worse(severity: Severity, *, than: Severity) -> bool:
    return grade_rank(severity) > grade_rank(than)


def regrade_for(ticket: Ticket, severity: Severity, plant: Plant) -> TicketRegrade | None:
    """The ticket re-graded to ``severity``; None when that is no worse or the fault is repaired."""
    draft = ticket.draft
    if ticket.status in _PAST_REPAIR or not is_worse(severity, than=draft.severity):
        return None
    placement = plant.placement_of(draft.machine_id)
    # Working days are counted in the site's zone, as when the ticket was drafted.
    zone = ZoneInfo(placement.site.timezone)
    received_at = draft.received_at.astimezone(zone)
    promised = sla_deadlines(
        placement.customer.contract,
        severity,
        received_at=received_at,
        holidays=placement.site.calendar.holidays,
    )
    return TicketRegrade(
        severity=severity,
        ticket_type=ticket_type_for(severity)
        if draft.ticket_type is TicketType.GENERAL_FAULT
        else draft.ticket_type,
        deadlines=tightest(_in_zone(draft.deadlines, zone), promised),
    )


def tightest(kept: SlaDeadlines, promised: SlaDeadlines) -> SlaDeadlines:
    """Each deadline at the earlier of the two; an arrival "as agreed" (None) yields to a date."""
    return SlaDeadlines(
        response_due=min(kept.response_due, promised.response_due),
        arrival_due=_earlier(kept.arrival_due, promised.arrival_due),
        resolution_due=min(kept.resolution_due, promised.resolution_due),
    )


def escalation_note(alert_id: int, before: Ticket, after: TicketRegrade) -> str:
    """The history entry of an escalation: what changed, old value to new."""
    old = before.draft
    changes = [f"severity {old.severity} -> {after.severity}"]
    if after.ticket_type is not old.ticket_type:
        changes.append(f"type {old.ticket_type} -> {after.ticket_type}")
    for name, was, now in (
        ("response due", old.deadlines.response_due, after.deadlines.response_due),
        ("arrival due", old.deadlines.arrival_due, after.deadlines.arrival_due),
        ("resolution due", old.deadlines.resolution_due, after.deadlines.resolution_due),
    ):
        if was != now:
            changes.append(f"{name} {_when(was, now)} -> {_when(now, now)}")
    return f"alert #{alert_id} worsened to {after.severity}: " + "; ".join(changes)


def unchanged_note(alert_id: int, ticket: Ticket, severity: Severity) -> str:
    """The history entry when an alert worsens but its ticket keeps its grade, and why."""
    if ticket.status in _PAST_REPAIR:
        reason = f"the ticket is {ticket.status}; reopen it if the fault has returned"
    else:
        reason = f"the ticket is already graded {ticket.draft.severity}"
    return f"alert #{alert_id} worsened to {severity}; grade unchanged: {reason}"


def _earlier(kept: datetime | None, promised: datetime | None) -> datetime | None:
    if kept is None or promised is None:
        return promised if kept is None else kept
    return min(kept, promised)


def _in_zone(deadlines: SlaDeadlines, zone: ZoneInfo) -> SlaDeadlines:
    return SlaDeadlines(
        response_due=deadlines.response_due.astimezone(zone),
        arrival_due=None
        if deadlines.arrival_due is None
        else deadlines.arrival_due.astimezone(zone),
        resolution_due=deadlines.resolution_due.astimezone(zone),
    )


def _when(moment: datetime | None, zone_of: datetime | None) -> str:
    """A deadline for the note, in the zone of the value it is compared with."""
    if moment is None:
        return "as agreed"
    shown = moment.astimezone(zone_of.tzinfo) if zone_of is not None else moment
    return shown.isoformat(timespec="minutes")
