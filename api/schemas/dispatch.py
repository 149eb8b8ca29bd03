"""Dispatch: ranked candidates, the dispatch command, the order the engineer receives,
their jobs, and the desk's bulk assignment of owners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from alerts.dispatch_commands import OwnerResult
from alerts.dispatch_ranking import ROAD_FACTOR, TRAVEL_SPEED_KMH, DispatchNeed, weights_for
from api.region_names import region_name
from api.schemas.base import PublicModel
from api.schemas.people import NO_NAMES, PeopleNames
from api.schemas.tickets import SlaClockPublic, TicketDetailPublic
from models.dispatch import (
    Assignment,
    Candidate,
    DispatchInstructions,
    PartToBring,
    ScoreFactor,
    ScorePart,
    TicketOwner,
)
from models.plant import Document, DocumentKind, Location, MachinePlacement, Severity
from models.tickets import SlaClock, Ticket, TicketStatus, TicketType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TicketIdValue = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ScorePartPublic(PublicModel):
    """One factor of the score: ``value`` 0..1, its ``weight``, and ``points``, which is
    value times weight times 100 (the score is the sum of the points)."""

    factor: ScoreFactor
    value: float
    weight: float
    points: float

    @classmethod
    def of(cls, part: ScorePart) -> ScorePartPublic:
        return cls(
            factor=part.factor,
            value=round(part.value, 3),
            weight=part.weight,
            points=round(100 * part.points, 1),
        )


class CandidatePublic(PublicModel):
    """An engineer ranked for a ticket (rank 1 is the best), with the reasons in sentences.

    ``warnings`` name what speaks against them (an expired certificate, a missed arrival
    deadline). ``misses_arrival_deadline`` null: there is no deadline or no distance.
    """

    rank: int
    login: str
    display_name: str
    score: float
    misses_arrival_deadline: bool | None
    distance_km: float | None
    travel_minutes: int | None
    estimated_arrival: datetime | None
    same_region: bool | None
    home_region: str
    home_region_name: str
    open_jobs: int
    parts: list[ScorePartPublic]
    reasons: list[str]
    warnings: list[str]

    @classmethod
    def of(cls, candidate: Candidate) -> CandidatePublic:
        engineer = candidate.engineer
        travel = candidate.travel_time
        return cls(
            rank=candidate.rank,
            login=engineer.login,
            display_name=engineer.display_name,
            score=candidate.score,
            misses_arrival_deadline=candidate.misses_arrival,
            distance_km=candidate.distance_km,
            travel_minutes=round(travel.total_seconds() / 60) if travel is not None else None,
            estimated_arrival=candidate.estimated_arrival,
            same_region=candidate.same_region,
            home_region=engineer.profile.home_region,
            home_region_name=region_name(engineer.profile.home_region),
            open_jobs=engineer.open_jobs,
            parts=[ScorePartPublic.of(p) for p in candidate.parts],
            reasons=list(candidate.reasons),
            warnings=list(candidate.warnings),
        )


class DispatchCandidatesPublic(PublicModel):
    """The engineers for a ticket, best first, with what the ranking weighed."""

    ticket_id: int
    number: str
    severity: Severity
    ticket_type: TicketType
    machine_model: str
    site_name: str
    site_region: str | None
    site_region_name: str | None
    site_location: Location | None
    arrival_due: datetime | None
    weights: dict[ScoreFactor, float]
    travel_speed_kmh: float
    road_factor: float
    candidates: list[CandidatePublic]

    @classmethod
    def of(
        cls, ticket: Ticket, need: DispatchNeed, candidates: Sequence[Candidate]
    ) -> DispatchCandidatesPublic:
        return cls(
            ticket_id=ticket.id,
            number=ticket.number,
            severity=need.severity,
            ticket_type=need.ticket_type,
            machine_model=need.machine_model,
            site_name=need.site_name,
            site_region=need.site_region,
            site_region_name=region_name(need.site_region) if need.site_region else None,
            site_location=need.site_location,
            arrival_due=need.arrival_due,
            weights=weights_for(need.severity),
            travel_speed_kmh=TRAVEL_SPEED_KMH,
            road_factor=ROAD_FACTOR,
            candidates=[CandidatePublic.of(c) for c in candidates],
        )


class PartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_number: Text
    quantity: int = Field(ge=1, le=10_000)
    description: str = Field(default="", max_length=300)


class DispatchRequest(BaseModel):
    """Dispatch the ticket to the field engineer with login ``engineer``, with the tools and
    spare parts to bring (free part numbers) and a note for the job."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "engineer": "demo-field-1",
                    "tools": ["bearing puller", "torque wrench"],
                    "parts": [{"part_number": "FIL12-BRG-KIT", "quantity": 1}],
                    "note": "Main drive bearing runs hot; the line stops for the swap at 14:00.",
                }
            ]
        },
    )

    engineer: Text
    tools: list[Text] = Field(default_factory=list, max_length=50)
    parts: list[PartBody] = Field(default_factory=list, max_length=100)
    note: str = Field(default="", max_length=4000)

    def instructions(self) -> DispatchInstructions:
        return DispatchInstructions(
            tools=tuple(self.tools),
            parts=tuple(PartToBring(p.part_number, p.quantity, p.description) for p in self.parts),
            note=self.note.strip(),
        )


class PartPublic(PublicModel):
    part_number: str
    quantity: int
    description: str

    @classmethod
    def of(cls, part: PartToBring) -> PartPublic:
        return cls(
            part_number=part.part_number, quantity=part.quantity, description=part.description
        )


class AssignmentPublic(PublicModel):
    """Who the ticket is dispatched to, by whom and when, whether they accepted, what to bring."""

    engineer: str
    engineer_name: str
    dispatched_by: str = Field(description="Login of who dispatched it")
    dispatched_by_name: str = Field(
        description="Name of who dispatched it; the login when the account is gone"
    )
    dispatched_at: datetime
    accepted_at: datetime | None
    tools: list[str]
    parts: list[PartPublic]
    note: str

    @classmethod
    def of(
        cls, assignment: Assignment, engineer_name: str, names: PeopleNames = NO_NAMES
    ) -> AssignmentPublic:
        instructions = assignment.instructions
        return cls(
            engineer=assignment.engineer_login,
            engineer_name=engineer_name,
            dispatched_by=assignment.dispatched_by,
            dispatched_by_name=names.name(assignment.dispatched_by) or assignment.dispatched_by,
            dispatched_at=assignment.dispatched_at,
            accepted_at=assignment.accepted_at,
            tools=list(instructions.tools),
            parts=[
                PartPublic(
                    part_number=p.part_number, quantity=p.quantity, description=p.description
                )
                for p in instructions.parts
            ],
            note=instructions.note,
        )


class CustomerRef(PublicModel):
    id: str
    name: str


class ContactPublic(PublicModel):
    name: str
    phone: str
    email: str


class SiteRef(PublicModel):
    id: str
    name: str
    timezone: str
    region: str | None
    region_name: str | None  # the region as people read it ("North Germany")
    location: Location | None


class EquipmentRef(PublicModel):
    """A line or a machine: id, name, model and serial number."""

    id: str
    name: str
    model: str
    serial: str


class DocumentPublic(PublicModel):
    title: str
    url: str
    kind: DocumentKind


class PastTicketPublic(PublicModel):
    """An earlier ticket of the same machine, for the service history."""

    id: int
    number: str
    status: TicketStatus
    severity: Severity
    ticket_type: TicketType
    received_at: datetime
    summary: str


class DispatchOrderPublic(PublicModel):
    """What the engineer is sent: customer and contact, site, line and machine, the request,
    the deadlines, what to bring, the machine model's documents, and the machine's service
    history (``service_history_url`` lists all of it through the tickets API)."""

    ticket_id: int
    number: str
    status: TicketStatus
    severity: Severity
    ticket_type: TicketType
    customer: CustomerRef
    contact: ContactPublic
    site: SiteRef
    line: EquipmentRef
    machine: EquipmentRef
    summary: str
    symptoms: str
    special_requirements: str
    signals: list[str]
    arrival_due: datetime | None
    resolution_due: datetime
    assignment: AssignmentPublic
    documents: list[DocumentPublic]
    service_history_url: str
    service_history: list[PastTicketPublic]

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        placement: MachinePlacement,
        assignment: AssignmentPublic,
        *,
        documents: Sequence[Document],
        history: Sequence[Ticket],
    ) -> DispatchOrderPublic:
        draft, site, line, machine = ticket.draft, placement.site, placement.line, placement.machine
        return cls(
            ticket_id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            severity=draft.severity,
            ticket_type=draft.ticket_type,
            customer=CustomerRef(id=placement.customer.id, name=placement.customer.name),
            contact=ContactPublic(
                name=draft.contact_name, phone=draft.contact_phone, email=draft.contact_email
            ),
            site=SiteRef(
                id=site.id,
                name=site.name,
                timezone=site.timezone,
                region=site.region,
                region_name=region_name(site.region) if site.region else None,
                location=site.location,
            ),
            line=EquipmentRef(id=line.id, name=line.name, model=line.model, serial=line.serial),
            machine=EquipmentRef(
                id=machine.id,
                name=machine.name,
                model=draft.machine_model,
                serial=draft.machine_serial,
            ),
            summary=draft.summary,
            symptoms=draft.symptoms,
            special_requirements=draft.special_requirements,
            signals=list(draft.signals),
            arrival_due=draft.deadlines.arrival_due,
            resolution_due=draft.deadlines.resolution_due,
            assignment=assignment,
            documents=[DocumentPublic(title=d.title, url=d.url, kind=d.kind) for d in documents],
            service_history_url=f"/api/v1/tickets?machine_id={machine.id}",
            service_history=[
                PastTicketPublic(
                    id=t.id,
                    number=t.number,
                    status=t.status,
                    severity=t.draft.severity,
                    ticket_type=t.draft.ticket_type,
                    received_at=t.draft.received_at,
                    summary=t.draft.summary,
                )
                for t in history
            ],
        )


class DispatchedPublic(PublicModel):
    """The answer to a dispatch: the ticket as it stands now and the order sent."""

    ticket: TicketDetailPublic
    order: DispatchOrderPublic


class MyJobPublic(PublicModel):
    """One of the signed-in engineer's jobs: the order, its SLA clocks, and the moves they may
    make now (``POST /api/v1/tickets/{id}/transitions``); accept with ``accept_url``."""

    order: DispatchOrderPublic
    sla: list[SlaClockPublic]
    allowed_next: list[TicketStatus]
    accept_url: str | None

    @classmethod
    def of(
        cls,
        order: DispatchOrderPublic,
        *,
        clocks: Sequence[SlaClock],
        allowed_next: Sequence[TicketStatus],
    ) -> MyJobPublic:
        may_accept = (
            order.assignment.accepted_at is None and order.status is TicketStatus.DISPATCHED
        )
        return cls(
            order=order,
            sla=[SlaClockPublic.of(c) for c in clocks],
            allowed_next=list(allowed_next),
            accept_url=f"/api/v1/my-jobs/{order.ticket_id}/accept" if may_accept else None,
        )


class OwnerAssignmentRequest(BaseModel):
    """Make ``owner`` (a desk, support or admin login) the owner of every ticket listed."""

    model_config = ConfigDict(extra="forbid")

    owner: Text
    ticket_ids: list[TicketIdValue] = Field(min_length=1, max_length=500)

    @field_validator("ticket_ids")
    @classmethod
    def _once_each(cls, ids: list[int]) -> list[int]:
        return list(dict.fromkeys(ids))


class OwnerResultPublic(PublicModel):
    """One ticket of a bulk assignment: ``ok``, or ``error`` saying why it failed."""

    ticket_id: int
    ok: bool
    owner: str | None
    previous_owner: str | None
    error: str | None

    @classmethod
    def of(cls, result: OwnerResult) -> OwnerResultPublic:
        return cls(
            ticket_id=result.ticket_id,
            ok=result.ok,
            owner=result.owner,
            previous_owner=result.previous_owner,
            error=result.error,
        )


class OwnerAssignmentPublic(PublicModel):
    owner: str = Field(description="Login of the owner the tickets were assigned to")
    owner_name: str = Field(description="Name of that owner; the login when it has no account")
    assigned: int
    failed: int
    results: list[OwnerResultPublic]


class TicketOwnerPublic(PublicModel):
    """Who owns a ticket in the desk's queue, and who made them its owner, when."""

    ticket_id: int
    owner: str = Field(description="Login of the ticket's owner")
    owner_name: str = Field(description="Name of the owner; the login when it has no account")
    assigned_by: str = Field(description="Login of who made them the owner")
    assigned_by_name: str = Field(
        description="Name of who made them the owner; the login when it has no account"
    )
    assigned_at: datetime

    @classmethod
    def of(cls, owner: TicketOwner, names: PeopleNames = NO_NAMES) -> TicketOwnerPublic:
        return cls(
            ticket_id=owner.ticket_id,
            owner=owner.owner,
            owner_name=names.name(owner.owner) or owner.owner,
            assigned_by=owner.assigned_by,
            assigned_by_name=names.name(owner.assigned_by) or owner.assigned_by,
            assigned_at=owner.assigned_at,
        )
