"""Closing a ticket: the service report, the customer's sign-off, the survey, callbacks
and the root cause analysis (DOMAIN.md, "Service report" and "After the visit")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Measurement:
    """A key measurement taken during the visit, such as a vibration level after the repair."""

    name: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class ReplacedPart:
    """One line of parts replaced; ``position`` is where on the machine it went.

    ``monitored``: the condition monitoring watches this part (a bearing, a drive,
    a pump), so the machine's healthy baseline must be learned again after it.
    A catalogue part's line books its stock movements (``alerts.report_part_bookings``):
    issued from ``issued_from`` (empty: the store holding the ticket's reservation, else
    the engineer's van), installed at ``position``, ``removed_serial`` taken out for
    ``failure_reason``, and the removed unit returned faulty to ``returned_to`` and, when
    ``scrapped``, scrapped there.
    """

    part_number: str
    serial: str
    quantity: int
    position: str
    monitored: bool = True
    removed_serial: str = ""
    failure_reason: str = ""
    issued_from: str = ""
    returned_to: str = ""
    scrapped: bool = False


@dataclass(frozen=True, slots=True)
class ServiceReportDraft:
    """What the field engineer (or support, for a remote fix) writes about the work.

    Times are the plant's: when the fault began, when the engineer arrived (None:
    no visit), when the line ran again.
    """

    symptoms: str
    diagnosis: str
    root_cause: str
    actions_taken: str
    state_before: str
    state_after: str
    failure_at: datetime | None
    arrived_at: datetime | None
    restored_at: datetime | None
    remaining_issues: str = ""
    advice: str = ""
    measurements: tuple[Measurement, ...] = ()
    parts: tuple[ReplacedPart, ...] = ()

    @property
    def monitored_parts(self) -> tuple[ReplacedPart, ...]:
        return tuple(p for p in self.parts if p.monitored)


@dataclass(frozen=True, slots=True)
class ServiceReport:
    """One filed version of a ticket's report; the newest version is the report."""

    ticket_id: int
    version: int
    filed_by: str
    filed_by_role: str
    filed_at: datetime
    draft: ServiceReportDraft


@dataclass(frozen=True, slots=True)
class SignOff:
    """The customer's answer to a report version: signed off, or refused with a reason.

    ``on_behalf``: the desk recorded it for the customer (``signer_name`` says who
    signed on paper or agreed on the phone); ``recorded_by`` is the login.
    """

    ticket_id: int
    report_version: int
    accepted: bool
    comments: str
    reason: str
    signer_name: str
    recorded_by: str
    on_behalf: bool
    at: datetime


class SurveyPoint(StrEnum):
    """The five points of the satisfaction survey (DOMAIN.md, "After the visit")."""

    ATTITUDE = "attitude"
    RESPONSE_SPEED = "response_speed"
    TECHNICAL_SKILL = "technical_skill"
    EFFECTIVENESS = "effectiveness"
    OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class SurveyAnswers:
    """Scores from 1 (poor) to 5 (excellent) on each point, and the customer's comments."""

    attitude: int
    response_speed: int
    technical_skill: int
    effectiveness: int
    overall: int
    comments: str = ""


@dataclass(frozen=True, slots=True)
class Survey:
    ticket_id: int
    answers: SurveyAnswers
    recorded_by: str
    # The desk entered the answers from the callback instead of the customer.
    on_behalf: bool
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class Callback:
    """The desk's call after the visit to confirm that the problem is gone."""

    id: int
    ticket_id: int
    called_by: str
    called_at: datetime
    contact_name: str
    problem_gone: bool
    notes: str


class CapaKind(StrEnum):
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


@dataclass(frozen=True, slots=True)
class CapaAction:
    """A corrective (fix this fault) or preventive (stop it coming back) action."""

    kind: CapaKind
    action: str
    owner: str
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class RootCauseAnalysis:
    """Why the fault happened, how that was found, and what is done about it."""

    ticket_id: int
    root_cause: str
    method: str
    actions: tuple[CapaAction, ...]
    analysed_by: str
    analysed_at: datetime

    def actions_of(self, kind: CapaKind) -> tuple[CapaAction, ...]:
        return tuple(a for a in self.actions if a.kind is kind)


@dataclass(frozen=True, slots=True)
class RcaSubject:
    """What decides whether a ticket needs a root cause analysis: its grade and its fault.

    ``fault_codes`` are the PLC fault codes of the stops that reached it;
    ``signals`` the signals that drove its warning (empty for a person's request).
    """

    ticket_id: int
    number: str
    machine_id: str
    severity: str
    received_at: datetime
    fault_codes: frozenset[int]
    signals: frozenset[str]
    from_warning: bool


@dataclass(frozen=True, slots=True)
class RcaRequirement:
    """Whether a root cause analysis is required before archiving, and why (one line each)."""

    required: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BaselineReset:
    """A request to learn a machine's healthy baseline again from ``since`` (the restore)."""

    ticket_id: int
    machine_id: str
    since: datetime
    parts: str
    requested_at: datetime
