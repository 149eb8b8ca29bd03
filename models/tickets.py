"""Service tickets: the registration record of DOMAIN.md and its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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

    @property
    def is_fault(self) -> bool:
        """Whether the ticket is about a fault: the kind a warning joins and a stop re-grades.

        A planned maintenance visit, a question or a training open on the machine are
        other work; a warning or a breakdown meanwhile is a fault of its own.
        """
        return self in (TicketType.EMERGENCY_REPAIR, TicketType.GENERAL_FAULT)


class Channel(StrEnum):
    HOTLINE = "hotline"
    EMAIL = "email"
    WEB_PORTAL = "web_portal"
    MESSAGING = "messaging"
    AUTOMATIC_WARNING = "automatic_warning"
    # Opened by a maintenance plan ahead of a task's due date (alerts.maintenance_job).
    MAINTENANCE_PLAN = "maintenance_plan"


class TicketStatus(StrEnum):
    """Where a ticket stands in the service process (DOMAIN.md, "Ticket lifecycle").

    The main path runs from registered to archived; the rest are its side paths.
    ``alerts.ticket_lifecycle`` says which moves are allowed and by whom.
    """

    REGISTERED = "registered"
    CLASSIFIED = "classified"
    REMOTE_DIAGNOSIS = "remote_diagnosis"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    REPAIRED = "repaired"
    VERIFIED = "verified"
    SIGNED_OFF = "signed_off"
    SURVEY = "survey"
    REVIEWED = "reviewed"
    ARCHIVED = "archived"
    RESOLVED_REMOTELY = "resolved_remotely"
    WAITING_FOR_PARTS = "waiting_for_parts"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    COMPLAINT = "complaint"


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
    contact_phone: str = ""
    contact_email: str = ""
    special_requirements: str = ""
    # When the customer asked to have it resolved by, if they said.
    expected_resolution: datetime | None = None
    # Set when a person overrode the warranty derived from the line, and why.
    warranty_override_reason: str | None = None
    # The contract's clock rules when the ticket opened (``alerts.sla_clocks``).
    counts_working_time: bool = False
    pauses_for_customer: bool = False
    # The login that registered it; None when a warning opened it.
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class TicketWork:
    """How far the work on a ticket has got, beyond its status."""

    milestones: Milestones = field(default_factory=lambda: Milestones())
    # Where a ticket waiting for the customer goes back to when they answer.
    resume_status: TicketStatus | None = None
    needs_change_approval: bool = False
    change_approved_by: str | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    number: str
    status: TicketStatus
    draft: TicketDraft
    work: TicketWork = field(default_factory=lambda: TicketWork())


# History entries for the service team only: support's notes on charts, the desk's
# owner, the internal RCA, and the detector's own bookkeeping (alert numbers, rules).
# A customer reads the rest of the ticket's history.
INTERNAL_EVENT_KINDS = frozenset(
    {
        "annotation",
        "owner",
        "rca",
        "baseline_reset_requested",
        "alert_joined",
        "alert_worsened",
        "alert_recovered",
        "alert_reopened",
        "forecast_cleared",
    }
)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One entry in a ticket's history (its audit trail): what happened, when, and a note.

    ``actor`` is the login of the person who did it, None for LineCare itself;
    ``field`` with ``old_value`` and ``new_value`` say what changed from what.
    """

    id: int
    ticket_id: int
    at: datetime
    kind: str
    note: str
    actor: str | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None


class SlaClockKind(StrEnum):
    """The three promises measured on every ticket (DOMAIN.md, "Service levels")."""

    RESPONSE = "response"
    ARRIVAL = "arrival"
    RESOLUTION = "resolution"


class SlaClockState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One promise on one ticket as of a moment.

    ``due`` is the deadline fixed at opening; ``due_now`` is that deadline moved
    by the time the clock was paused (None while it is paused). ``left`` is the
    counted time left, negative once overdue; for a met clock, the margin it was
    met by. ``used`` is the share of the promised time spent (1.0 at the deadline).
    """

    kind: SlaClockKind
    state: SlaClockState
    due: datetime
    due_now: datetime | None
    left: timedelta
    used: float
    met_at: datetime | None


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of absolute time, such as a wait for the customer; ``end`` None: still going on."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Milestones:
    """When each promise was kept: first response, engineer on site, resolved (or workaround)."""

    responded_at: datetime | None = None
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    # A ticket resolved remotely never needs the engineer on site.
    arrival_needed: bool = True


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """A service request as a person enters it: by the desk from a call, an e-mail or a
    message, or by a customer in the portal. LineCare adds the rest of the record."""

    line_id: str
    machine_id: str
    channel: Channel
    ticket_type: TicketType
    severity: Severity
    summary: str
    symptoms: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    special_requirements: str = ""
    expected_resolution: datetime | None = None
    # When the request came in; None: now. A phone call is registered after it ends.
    received_at: datetime | None = None
    # A person may override the warranty derived from the line, with a reason.
    under_warranty: bool | None = None
    warranty_override_reason: str = ""


@dataclass(frozen=True, slots=True)
class WarrantyStatus:
    """Whether a line is under warranty on a day, until when, and by how much downtime
    during the warranty extended it."""

    under_warranty: bool
    ends_on: date
    extended_by_days: int


@dataclass(frozen=True, slots=True)
class MachineStop:
    """A breakdown of a machine, as the ticket hears of it: when, how long, which fault."""

    machine_id: str
    line_id: str
    started: datetime
    ended: datetime
    fault_code: int | None
    reason: str
