"""Service tickets: the registration record with its SLA deadlines, and its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.schemas.base import PublicModel
from models.plant import Severity
from models.tickets import Channel, Ticket, TicketEvent, TicketStatus, TicketType


class TicketPublic(PublicModel):
    """A ticket as lists show it; deadlines are those fixed when it was opened."""

    id: int
    number: str
    status: TicketStatus
    customer_id: str
    contract_number: str
    contact_name: str
    line_id: str
    machine_id: str
    machine_model: str
    machine_serial: str
    ticket_type: TicketType
    channel: Channel
    severity: Severity
    under_warranty: bool
    summary: str
    signals: list[str]
    received_at: datetime
    response_due: datetime
    arrival_due: datetime | None
    resolution_due: datetime
    alert_id: int | None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketPublic:
        draft = ticket.draft
        return cls(
            id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            customer_id=draft.customer_id,
            contract_number=draft.contract_number,
            contact_name=draft.contact_name,
            line_id=draft.line_id,
            machine_id=draft.machine_id,
            machine_model=draft.machine_model,
            machine_serial=draft.machine_serial,
            ticket_type=draft.ticket_type,
            channel=draft.channel,
            severity=draft.severity,
            under_warranty=draft.under_warranty,
            summary=draft.summary,
            signals=list(draft.signals),
            received_at=draft.received_at,
            response_due=draft.deadlines.response_due,
            arrival_due=draft.deadlines.arrival_due,
            resolution_due=draft.deadlines.resolution_due,
            alert_id=draft.alert_id,
        )


class TicketEventPublic(PublicModel):
    at: datetime
    kind: str
    note: str


class TicketDetailPublic(TicketPublic):
    """One ticket with the symptoms reported and everything that happened to it, oldest first."""

    symptoms: str
    events: list[TicketEventPublic]

    @classmethod
    def with_events(cls, ticket: Ticket, events: Sequence[TicketEvent]) -> TicketDetailPublic:
        return cls(
            **TicketPublic.of(ticket).model_dump(),
            symptoms=ticket.draft.symptoms,
            events=[TicketEventPublic(at=e.at, kind=e.kind, note=e.note) for e in events],
        )
