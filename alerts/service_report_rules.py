"""When a service report may be filed, by whom, and whether what it says holds together. Pure.

A report is written once the work has begun (the engineer on site, support
diagnosing remotely) and stays editable, version by version, until the customer
signs it off; a refusal reopens the ticket and the report with it. Filing never
moves the ticket: "repaired" is its own move, made when the line runs again, so
the resolution milestone is the moment of the restore and not of the writing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.service_report import ServiceReportDraft
from models.tickets import Ticket, TicketStatus
from models.users import Role

S = TicketStatus
# Work has begun and the customer has not signed off yet.
EDITABLE_IN = frozenset(
    {
        S.REMOTE_DIAGNOSIS,
        S.ON_SITE,
        S.WAITING_FOR_PARTS,
        S.ESCALATED,
        S.REPAIRED,
        S.RESOLVED_REMOTELY,
        S.VERIFIED,
        S.REOPENED,
    }
)
MAY_FILE = frozenset({Role.FIELD_ENGINEER, Role.SUPPORT, Role.DESK, Role.ADMIN})
# A phone's clock a little ahead of ours is no report from the future.
CLOCK_SLACK = timedelta(minutes=5)


class ReportError(ValueError):
    """What is wrong with a report, in a sentence for the person filing it."""


def editing_refusal(ticket: Ticket) -> str | None:
    """Why the ticket's report cannot be filed or changed now, or None when it can."""
    if ticket.status in EDITABLE_IN:
        return None
    if ticket.status in (S.SIGNED_OFF, S.SURVEY, S.REVIEWED, S.ARCHIVED, S.COMPLAINT):
        return (
            f"the ticket is {ticket.status}: its report was signed off and can no longer"
            " change (reopen the ticket to revise it)"
        )
    return f"the ticket is {ticket.status}: a report is filed once the work has begun"


def check_report(draft: ServiceReportDraft, ticket: Ticket, *, now: datetime) -> None:
    """Raise ReportError when the report contradicts itself, the ticket or the clock."""
    for name in ("symptoms", "diagnosis", "actions_taken", "state_after"):
        if not getattr(draft, name).strip():
            raise ReportError(f"{name} must not be empty")
    times = {
        "failure_at": draft.failure_at,
        "arrived_at": draft.arrived_at,
        "restored_at": draft.restored_at,
    }
    for name, value in times.items():
        if value is not None and value > now + CLOCK_SLACK:
            raise ReportError(f"{name} lies in the future")
    failure, arrived, restored = draft.failure_at, draft.arrived_at, draft.restored_at
    if failure is not None and restored is not None and restored < failure:
        raise ReportError("restored_at lies before failure_at: the line cannot run again first")
    # No rule ties arrival to failure: an early warning brings the engineer before the
    # breakdown, which is the point of predictive maintenance.
    if arrived is not None and arrived < ticket.draft.received_at:
        raise ReportError("arrived_at lies before the ticket was received")
    if draft.parts and restored is None:
        raise ReportError("a report that replaces parts needs restored_at")
    _check_parts(draft)
    names = [m.name.strip().lower() for m in draft.measurements]
    if len(set(names)) != len(names):
        raise ReportError("each measurement name may appear once")


def _check_parts(draft: ServiceReportDraft) -> None:
    serials = [p.serial.strip() for p in draft.parts if p.serial.strip()]
    if len(set(serials)) != len(serials):
        raise ReportError("a serial number may appear once among the parts replaced")
    for part in draft.parts:
        if part.serial.strip() and part.quantity != 1:
            raise ReportError(f"part {part.part_number} with a serial number has quantity 1")
