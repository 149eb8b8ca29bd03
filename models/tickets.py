"""Service tickets: the registration record of DOMAIN.md and its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.plant import Severity


class TicketType(StrEnum):
    EMERGENCY_REPAIR = "emergency_repair"
    GENERAL_FAULT = "general_fault"
    PREVENTIVE_MAINTENANCE = "preventive_maintenance"
    CONSULTATION = "consultation"
    SPARE_PART = "spare_part"
    INSTALLATION = "installation"
    UPGRADE = "upgrade"
    TRAINING = "training"
    COMPLAINT = "complaint"


class Channel(StrEnum):
    HOTLINE = "hotline"
    EMAIL = "email"
    WEB_PORTAL = "web_portal"
    MESSAGING = "messaging"
    AUTOMATIC_WARNING = "automatic_warning"


class TicketStatus(StrEnum):
    REGISTERED = "registered"
    CLASSIFIED = "classified"
    REMOTE_DIAGNOSIS = "remote_diagnosis"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    REPAIRED = "repaired"
    VERIFIED = "verified"
    SIGNED_OFF = "signed_off"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class SlaDeadlines:
    """Deadlines fixed when the ticket is opened; later contract changes do not move them."""

    response_due: datetime
    arrival_due: datetime | None
    resolution_due: datetime


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """Everything needed to register a ticket; the store gives it a number."""

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
    symptoms: str
    signals: tuple[str, ...]
    received_at: datetime
    deadlines: SlaDeadlines
    alert_id: int | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    number: str
    status: TicketStatus
    draft: TicketDraft


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One entry in a ticket's history: what happened, when, and a note for people."""

    id: int
    ticket_id: int
    at: datetime
    kind: str
    note: str
