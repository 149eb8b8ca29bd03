"""Dispatch: field engineers' profiles, the assignment of a ticket to one, and the ranking.

An engineer's workload is never stored: it is counted from their open dispatched
tickets whenever it is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from models.plant import Location
from models.tickets import TicketStatus, TicketType

# A ticket in one of these states keeps its engineer busy: it counts as an open job.
OPEN_JOB_STATUSES: frozenset[TicketStatus] = frozenset(
    {
        TicketStatus.DISPATCHED,
        TicketStatus.EN_ROUTE,
        TicketStatus.ON_SITE,
        TicketStatus.WAITING_FOR_PARTS,
    }
)


@dataclass(frozen=True, slots=True)
class Certification:
    """A certificate an engineer holds (e.g. a manufacturer's service training), valid
    through ``valid_until``; ``machine_models`` it covers, empty: not tied to a model."""

    name: str
    valid_until: date
    machine_models: tuple[str, ...] = ()

    def valid_on(self, day: date) -> bool:
        return day <= self.valid_until

    def covers(self, machine_model: str) -> bool:
        return machine_model in self.machine_models


@dataclass(frozen=True, slots=True)
class EngineerProfile:
    """What dispatch knows of a field engineer: skills, certificates, where they start from.

    Skills are the machine models they service and the ticket types they handle.
    """

    login: str
    home_region: str = ""
    base_name: str = ""
    base_location: Location | None = None
    machine_models: tuple[str, ...] = ()
    ticket_types: tuple[TicketType, ...] = ()
    certifications: tuple[Certification, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class FieldEngineer:
    """A field engineer as the desk sees them: name, profile and their open jobs now."""

    login: str
    display_name: str
    profile: EngineerProfile
    open_jobs: int


@dataclass(frozen=True, slots=True)
class PartToBring:
    """A spare part the engineer takes along, by part number (free text until there is a
    parts catalogue)."""

    part_number: str
    quantity: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class DispatchInstructions:
    """What the desk tells the engineer to bring, and a note for the job."""

    tools: tuple[str, ...] = ()
    parts: tuple[PartToBring, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A ticket dispatched to an engineer. ``released_at`` is set when the ticket went back
    to the desk (to be dispatched to someone else); an assignment without it is current."""

    id: int
    ticket_id: int
    engineer_login: str
    dispatched_by: str
    dispatched_at: datetime
    instructions: DispatchInstructions
    accepted_at: datetime | None = None
    released_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketOwner:
    """Who at the desk or in support owns a ticket in the queue, and since when."""

    ticket_id: int
    owner: str
    assigned_by: str
    assigned_at: datetime


class ScoreFactor(StrEnum):
    SKILL = "skill"
    CERTIFICATION = "certification"
    WORKLOAD = "workload"
    PROXIMITY = "proximity"


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One factor of a candidate's score: how well they do on it (0..1) and its weight."""

    factor: ScoreFactor
    value: float
    weight: float

    @property
    def points(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True, slots=True)
class Candidate:
    """An engineer ranked for a ticket, with the score parts and the reasons in sentences.

    ``misses_arrival`` is True when they cannot reach the site by the arrival deadline
    at the stated travel speed; None when that cannot be told (no deadline or no distance).
    """

    engineer: FieldEngineer
    score: float
    parts: tuple[ScorePart, ...]
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    distance_km: float | None = None
    travel_time: timedelta | None = None
    estimated_arrival: datetime | None = None
    misses_arrival: bool | None = None
    same_region: bool | None = None
    rank: int = 0
