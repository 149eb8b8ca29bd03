"""Service tickets: the registration record, its SLA clocks, next steps, and its audit trail."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alerts.sla_clocks import describe_left
from api.schemas.base import PublicModel
from api.schemas.people import NO_NAMES, PeopleNames
from models.plant import Severity
from models.tickets import (
    Channel,
    SlaClock,
    SlaClockKind,
    SlaClockState,
    Ticket,
    TicketEvent,
    TicketRequest,
    TicketStatus,
    TicketType,
)


class SlaClockPublic(PublicModel):
    """One promise: ``due`` as fixed at opening, ``due_now`` moved by waits for the customer
    (null while waiting), ``seconds_left`` negative once overdue, or the margin once met."""

    kind: SlaClockKind
    state: SlaClockState
    due: datetime
    due_now: datetime | None
    seconds_left: int
    text: str
    used: float
    met_at: datetime | None

    @classmethod
    def of(cls, clock: SlaClock) -> SlaClockPublic:
        if clock.state is SlaClockState.NOT_NEEDED:
            text = "not needed"
        elif clock.met_at is not None:
            on_time = clock.state is SlaClockState.MET_ON_TIME
            text = "met on time" if on_time else f"met late ({describe_left(clock.left)})"
        else:
            text = describe_left(clock.left)
        return cls(
            kind=clock.kind,
            state=clock.state,
            due=clock.due,
            due_now=clock.due_now,
            seconds_left=int(clock.left.total_seconds()),
            text=text,
            used=round(clock.used, 4),
            met_at=clock.met_at,
        )


class TicketPublic(PublicModel):
    """A ticket as lists show it; deadlines are those fixed when it was opened.

    ``allowed_next`` are the states the signed-in user may move it to now.
    """

    id: int
    number: str
    status: TicketStatus
    customer_id: str
    contract_number: str
    contact_name: str
    contact_phone: str
    contact_email: str
    line_id: str
    machine_id: str
    machine_model: str
    machine_serial: str
    ticket_type: TicketType
    channel: Channel
    severity: Severity
    under_warranty: bool
    warranty_override_reason: str | None
    summary: str
    special_requirements: str
    signals: list[str]
    received_at: datetime
    expected_resolution: datetime | None
    response_due: datetime
    arrival_due: datetime | None
    resolution_due: datetime
    alert_id: int | None
    created_by: str | None = Field(
        description="Login of who registered it; null for an automatic warning or the"
        " maintenance plan, and for a customer when one of the service team registered it"
    )
    created_by_name: str | None = Field(
        description="Name of who registered it (a customer reads the service team's people"
        " as 'LineCare service team'); the login when the account is gone"
    )
    needs_change_approval: bool
    change_approved_by: str | None = Field(
        description="Login of the technical lead who approved the change (null: not"
        " approved, or withheld from a customer)"
    )
    change_approved_by_name: str | None = Field(
        description="Name of the technical lead who approved the change"
    )
    escalated_at: datetime | None
    sla: list[SlaClockPublic]
    allowed_next: list[TicketStatus]

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        *,
        clocks: Sequence[SlaClock] = (),
        allowed_next: Sequence[TicketStatus] = (),
        names: PeopleNames = NO_NAMES,
    ) -> TicketPublic:
        draft, work = ticket.draft, ticket.work
        return cls(
            id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            customer_id=draft.customer_id,
            contract_number=draft.contract_number,
            contact_name=draft.contact_name,
            contact_phone=draft.contact_phone,
            contact_email=draft.contact_email,
            line_id=draft.line_id,
            machine_id=draft.machine_id,
            machine_model=draft.machine_model,
            machine_serial=draft.machine_serial,
            ticket_type=draft.ticket_type,
            channel=draft.channel,
            severity=draft.severity,
            under_warranty=draft.under_warranty,
            warranty_override_reason=draft.warranty_override_reason,
            summary=draft.summary,
            special_requirements=draft.special_requirements,
            signals=list(draft.signals),
            received_at=draft.received_at,
            expected_resolution=draft.expected_resolution,
            response_due=draft.deadlines.response_due,
            arrival_due=draft.deadlines.arrival_due,
            resolution_due=draft.deadlines.resolution_due,
            alert_id=draft.alert_id,
            created_by=names.login(draft.created_by),
            created_by_name=names.name(draft.created_by),
            needs_change_approval=work.needs_change_approval,
            change_approved_by=names.login(work.change_approved_by),
            change_approved_by_name=names.name(work.change_approved_by),
            escalated_at=work.escalated_at,
            sla=[SlaClockPublic.of(c) for c in clocks],
            allowed_next=list(allowed_next),
        )


# Event fields whose values are logins: a customer must not read staff logins there either.
PERSON_FIELDS = frozenset({"engineer", "owner", "change_approved_by"})


class TicketEventPublic(PublicModel):
    """One audit entry: when, who (null: LineCare itself), what, and from what to what."""

    at: datetime
    kind: str
    note: str
    actor: str | None = Field(
        description="Login of who did it; null when LineCare did it itself, and for a"
        " customer when one of the service team did it"
    )
    actor_name: str | None = Field(
        description="Name of who did it (null: LineCare itself); a customer reads the"
        " service team's people as 'LineCare service team'; the login when the account is gone"
    )
    field: str | None
    old_value: str | None = Field(
        description="For a field that names a person (engineer, owner, change approver):"
        " the login as the reader may read it, like ``actor``"
    )
    new_value: str | None = Field(description="As ``old_value``")
    old_value_name: str | None = Field(
        default=None, description="For a field that names a person: that person's name"
    )
    new_value_name: str | None = Field(
        default=None, description="For a field that names a person: that person's name"
    )

    @classmethod
    def of(cls, event: TicketEvent, names: PeopleNames = NO_NAMES) -> TicketEventPublic:
        person = event.field in PERSON_FIELDS
        return cls(
            at=event.at,
            kind=event.kind,
            note=names.in_text(event.note, event.actor),
            actor=names.login(event.actor),
            actor_name=names.name(event.actor),
            field=event.field,
            old_value=names.login(event.old_value) if person else event.old_value,
            new_value=names.login(event.new_value) if person else event.new_value,
            old_value_name=names.name(event.old_value) if person else None,
            new_value_name=names.name(event.new_value) if person else None,
        )


class TicketDetailPublic(TicketPublic):
    """One ticket with the symptoms reported and everything that happened to it, oldest first."""

    symptoms: str
    events: list[TicketEventPublic]

    @classmethod
    def with_events(
        cls,
        ticket: Ticket,
        events: Sequence[TicketEvent],
        *,
        clocks: Sequence[SlaClock] = (),
        allowed_next: Sequence[TicketStatus] = (),
        names: PeopleNames = NO_NAMES,
    ) -> TicketDetailPublic:
        summary = TicketPublic.of(ticket, clocks=clocks, allowed_next=allowed_next, names=names)
        return cls(
            **summary.model_dump(),
            symptoms=ticket.draft.symptoms,
            events=[TicketEventPublic.of(e, names) for e in events],
        )


def logins_of(tickets: Collection[Ticket], events: Collection[TicketEvent] = ()) -> set[str]:
    """The logins these tickets and events name, to look their names up."""
    named = {t.draft.created_by for t in tickets} | {t.work.change_approved_by for t in tickets}
    named |= {e.actor for e in events}
    named |= {
        value for e in events if e.field in PERSON_FIELDS for value in (e.old_value, e.new_value)
    }
    return {login for login in named if login}


class TransitionRequest(BaseModel):
    """Move a ticket: ``to`` the next state, with a ``note`` (a reason where one is needed).

    ``expected_status`` guards against a concurrent move: the request is refused if the
    ticket is no longer in that state.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "to": "classified",
                    "note": "General fault under warranty: the filler drips after cleaning.",
                    "expected_status": "registered",
                }
            ]
        },
    )

    to: TicketStatus
    note: str = Field(default="", max_length=4000)
    expected_status: TicketStatus | None = None


class ChangeApprovalRequest(BaseModel):
    """Flag that the ticket changes the line's structure or key parameters, or approve it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"needed": True, "approve": False, "note": "Retrofit changes the capper's torque"}
            ]
        },
    )

    approve: bool = False
    needed: bool = True
    note: str = Field(default="", max_length=4000)


class RefusalPublic(PublicModel):
    """Why a request was refused, and the moves the user may make instead."""

    message: str
    status: TicketStatus
    allowed_next: list[TicketStatus]


class TicketCreate(BaseModel):
    """A service request entered by the desk (hotline, e-mail, messaging, portal) or by a
    customer in the portal. Contact details default to the customer's contact on file;
    ``under_warranty`` overrides the warranty derived from the line and needs a reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line_id": "line-1",
                    "machine_id": "l1-filler",
                    "channel": "hotline",
                    "ticket_type": "general_fault",
                    "severity": "general",
                    "summary": "Filler drips after the cleaning cycle",
                    "symptoms": "Valve 3 drips for about a minute after each cleaning cycle.",
                    "contact_name": "Jonas Brandt",
                    "contact_phone": "+49 40 1234 567",
                }
            ]
        },
    )

    line_id: str = Field(min_length=1, max_length=200)
    machine_id: str = Field(min_length=1, max_length=200)
    channel: Channel | None = None
    ticket_type: TicketType = TicketType.GENERAL_FAULT
    severity: Severity = Severity.GENERAL
    summary: str = Field(min_length=3, max_length=300)
    symptoms: str = Field(default="", max_length=8000)
    contact_name: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=100)
    contact_email: str = Field(default="", max_length=200)
    special_requirements: str = Field(default="", max_length=4000)
    expected_resolution: AwareDatetime | None = None
    received_at: AwareDatetime | None = None
    under_warranty: bool | None = None
    warranty_override_reason: str = Field(default="", max_length=4000)

    def request(self, channel: Channel) -> TicketRequest:
        return TicketRequest(
            line_id=self.line_id,
            machine_id=self.machine_id,
            channel=channel,
            ticket_type=self.ticket_type,
            severity=self.severity,
            summary=self.summary,
            symptoms=self.symptoms,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            contact_email=self.contact_email,
            special_requirements=self.special_requirements,
            expected_resolution=self.expected_resolution,
            received_at=self.received_at,
            under_warranty=self.under_warranty,
            warranty_override_reason=self.warranty_override_reason,
        )


class TicketCreatedPublic(TicketDetailPublic):
    """The registered ticket and the confirmation notice that reads it back to the customer."""

    confirmation: str
