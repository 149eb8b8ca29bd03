"""Complaints and their handling (DOMAIN.md, "After the visit"): register, classify,
investigate, answer by the committed time, follow up until the customer is satisfied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.plant import Severity


class ComplaintStatus(StrEnum):
    REGISTERED = "registered"
    CLASSIFIED = "classified"
    INVESTIGATING = "investigating"
    ANSWERED = "answered"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class ComplaintCategory(StrEnum):
    """What the customer complains about."""

    RESPONSE_TIME = "response_time"
    REPAIR_QUALITY = "repair_quality"
    REPEAT_FAULT = "repeat_fault"
    STAFF_CONDUCT = "staff_conduct"
    SPARE_PARTS = "spare_parts"
    BILLING = "billing"
    COMMUNICATION = "communication"
    OTHER = "other"


class AnswerTiming(StrEnum):
    """The answer deadline as of a moment: still open (in time or overdue) or met."""

    PENDING = "pending"
    OVERDUE = "overdue"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class ComplaintDraft:
    """A complaint as registered: for a customer, against one of their tickets or not."""

    customer_id: str
    ticket_id: int | None
    description: str
    contact_name: str
    severity: Severity
    registered_by: str
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint and how far its handling has got.

    ``answer_due`` is fixed from the registration by the grade, and fixed again from
    the registration when the complaint is classified with another grade.
    """

    id: int
    number: str
    status: ComplaintStatus
    customer_id: str
    ticket_id: int | None
    description: str
    contact_name: str
    severity: Severity
    registered_by: str
    registered_at: datetime
    answer_due: datetime
    category: ComplaintCategory | None = None
    findings: str = ""
    answer: str = ""
    answered_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ComplaintEvent:
    """One entry in a complaint's history: who moved it from what to what, and why."""

    at: datetime
    actor: str
    kind: str
    old_status: ComplaintStatus | None
    new_status: ComplaintStatus | None
    note: str


@dataclass(frozen=True, slots=True)
class ComplaintMove:
    """A request to move a complaint, with what that step records."""

    target: ComplaintStatus
    note: str = ""
    category: ComplaintCategory | None = None
    severity: Severity | None = None
    findings: str = ""
    answer: str = ""


# How long the service department commits to answer a complaint, by its grade.
ANSWER_WITHIN: dict[Severity, timedelta] = {
    Severity.MAJOR: timedelta(hours=24),
    Severity.SERIOUS: timedelta(hours=48),
    Severity.GENERAL: timedelta(hours=72),
    Severity.MINOR: timedelta(days=7),
}
