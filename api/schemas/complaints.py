"""Complaints: registering one, moving it through its handling, and reading it back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from models.complaints import (
    AnswerTiming,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintMove,
    ComplaintStatus,
)
from models.plant import Severity


class ComplaintCreate(BaseModel):
    """A complaint against a ticket (``ticket_id``) or standalone for a customer.

    Customers complain for themselves; the desk names the customer of a standalone
    complaint (``customer_id``), and a ticket's complaint is that ticket's customer's.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": 42,
                    "description": "The engineer arrived a day after the promised time.",
                    "contact_name": "Jonas Brandt",
                    "severity": "general",
                }
            ]
        },
    )

    ticket_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    customer_id: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(min_length=3, max_length=8000)
    contact_name: str = Field(default="", max_length=200)
    severity: Severity = Severity.GENERAL


class ComplaintMoveRequest(BaseModel):
    """Move a complaint ``to`` its next state. Classifying needs ``category`` and
    ``severity``; answering needs ``findings`` (now or before) and the ``answer``;
    follow up, investigating again and closing need a ``note``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "to": "classified",
                    "category": "response_time",
                    "severity": "general",
                    "note": "Arrival 26 h after the call; the contract promises 24 h.",
                }
            ]
        },
    )

    to: ComplaintStatus
    note: str = Field(default="", max_length=4000)
    category: ComplaintCategory | None = None
    severity: Severity | None = None
    findings: str = Field(default="", max_length=8000)
    answer: str = Field(default="", max_length=8000)

    def step(self) -> ComplaintMove:
        return ComplaintMove(
            target=self.to,
            note=self.note,
            category=self.category,
            severity=self.severity,
            findings=self.findings,
            answer=self.answer,
        )


class ComplaintEventPublic(PublicModel):
    at: datetime
    actor: str
    kind: str
    old_status: ComplaintStatus | None
    new_status: ComplaintStatus | None
    note: str

    @classmethod
    def of(cls, e: ComplaintEvent) -> ComplaintEventPublic:
        return cls(
            at=e.at,
            actor=e.actor,
            kind=e.kind,
            old_status=e.old_status,
            new_status=e.new_status,
            note=e.note,
        )


class ComplaintPublic(PublicModel):
    """A complaint; ``answer_timing`` is pending or overdue until answered, then on_time
    or late against ``answer_due``. ``allowed_next``: the moves the user may make."""

    id: int
    number: str
    status: ComplaintStatus
    customer_id: str
    ticket_id: int | None
    category: ComplaintCategory | None
    severity: Severity
    description: str
    contact_name: str
    registered_by: str
    registered_at: datetime
    answer_due: datetime
    answer_timing: AnswerTiming
    findings: str
    answer: str
    answered_at: datetime | None
    closed_at: datetime | None
    allowed_next: list[ComplaintStatus]

    @classmethod
    def of(
        cls,
        c: Complaint,
        *,
        timing: AnswerTiming,
        allowed_next: Sequence[ComplaintStatus],
    ) -> ComplaintPublic:
        return cls(
            id=c.id,
            number=c.number,
            status=c.status,
            customer_id=c.customer_id,
            ticket_id=c.ticket_id,
            category=c.category,
            severity=c.severity,
            description=c.description,
            contact_name=c.contact_name,
            registered_by=c.registered_by,
            registered_at=c.registered_at,
            answer_due=c.answer_due,
            answer_timing=timing,
            findings=c.findings,
            answer=c.answer,
            answered_at=c.answered_at,
            closed_at=c.closed_at,
            allowed_next=list(allowed_next),
        )


class ComplaintDetailPublic(ComplaintPublic):
    """A complaint with its history, oldest first."""

    events: list[ComplaintEventPublic]


class ComplaintRefusalPublic(PublicModel):
    message: str
    status: ComplaintStatus
    allowed_next: list[ComplaintStatus]
