"""Closing a ticket: the service report, the sign-off, the survey, callbacks and the RCA."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.schemas.base import PublicModel
from api.schemas.people import NO_NAMES, PeopleNames
from models.service_report import (
    Callback,
    CapaAction,
    CapaKind,
    Measurement,
    RcaRequirement,
    ReplacedPart,
    RootCauseAnalysis,
    ServiceReport,
    ServiceReportDraft,
    SignOff,
    Survey,
    SurveyAnswers,
)
from models.tickets import TicketStatus

_TEXT = 8000
_NOTE = 4000


# The people fields, as the ticket's (api/schemas/tickets.py): a customer reads no
# staff login, and the service team's people as the team.
_LOGIN = "Login of who did it; null for a customer when one of the service team did it"
_NAME = "Name of who did it; a customer reads the service team as 'LineCare service team'"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeasurementIn(_Input):
    """A key measurement: e.g. ``{"name": "vibration_rms", "value": 2.1, "unit": "mm/s"}``."""

    name: str = Field(min_length=1, max_length=200)
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(default="", max_length=50)


class PartIn(_Input):
    """A part replaced; a serialized part has quantity 1. ``monitored``: the condition
    monitoring watches it, so the machine's healthy baseline is learned again.

    A catalogue part's line books its stock movements when the report is filed: issued
    from ``issued_from`` (empty: the store holding the ticket's reservation, else the
    engineer's van), installed at ``position`` with ``serial``, ``removed_serial`` taken
    out for ``failure_reason``, and the removed unit returned faulty to ``returned_to``
    (and ``scrapped`` there). A line already booked is not booked again."""

    part_number: str = Field(min_length=1, max_length=100)
    serial: str = Field(default="", max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    position: str = Field(default="", max_length=200)
    monitored: bool = True
    removed_serial: str = Field(default="", max_length=100)
    failure_reason: str = Field(default="", max_length=2000)
    issued_from: str = Field(default="", max_length=200)
    returned_to: str = Field(default="", max_length=200)
    scrapped: bool = False


class ReportWrite(_Input):
    """The service report as the engineer files it (PUT replaces it with a new version)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "symptoms": "Main drive bearing 15 K warmer than usual, grinding noise.",
                    "diagnosis": "Outer race of the drive-side bearing pitted.",
                    "root_cause": "Grease dried out: the relubrication was missed.",
                    "actions_taken": "Bearing kit replaced, drive aligned, test run 30 min.",
                    "state_before": "Line at 60 % speed.",
                    "state_after": "Line at full speed, bearing temperature normal.",
                    "arrived_at": "2026-11-30T09:40:00+01:00",
                    "restored_at": "2026-11-30T12:15:00+01:00",
                    "advice": "Relubricate every 500 h.",
                    "measurements": [{"name": "vibration_rms", "value": 2.1, "unit": "mm/s"}],
                    "parts": [
                        {
                            "part_number": "FIL12-BRG-KIT",
                            "serial": "BRG-2026-0117",
                            "position": "main-drive",
                            "removed_serial": "BRG-2023-0042",
                            "failure_reason": "outer race pitted",
                        }
                    ],
                }
            ]
        }
    )

    symptoms: str = Field(max_length=_TEXT)
    diagnosis: str = Field(max_length=_TEXT)
    root_cause: str = Field(default="", max_length=_TEXT)
    actions_taken: str = Field(max_length=_TEXT)
    state_before: str = Field(default="", max_length=_TEXT)
    state_after: str = Field(max_length=_TEXT)
    failure_at: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    restored_at: AwareDatetime | None = None
    remaining_issues: str = Field(default="", max_length=_TEXT)
    advice: str = Field(default="", max_length=_TEXT)
    measurements: list[MeasurementIn] = Field(default_factory=list, max_length=100)
    parts: list[PartIn] = Field(default_factory=list, max_length=100)

    def draft(self) -> ServiceReportDraft:
        return ServiceReportDraft(
            symptoms=self.symptoms.strip(),
            diagnosis=self.diagnosis.strip(),
            root_cause=self.root_cause.strip(),
            actions_taken=self.actions_taken.strip(),
            state_before=self.state_before.strip(),
            state_after=self.state_after.strip(),
            failure_at=self.failure_at,
            arrived_at=self.arrived_at,
            restored_at=self.restored_at,
            remaining_issues=self.remaining_issues.strip(),
            advice=self.advice.strip(),
            measurements=tuple(
                Measurement(m.name.strip(), m.value, m.unit.strip()) for m in self.measurements
            ),
            parts=tuple(
                ReplacedPart(
                    p.part_number.strip(),
                    p.serial.strip(),
                    p.quantity,
                    p.position.strip(),
                    p.monitored,
                    removed_serial=p.removed_serial.strip(),
                    failure_reason=p.failure_reason.strip(),
                    issued_from=p.issued_from.strip(),
                    returned_to=p.returned_to.strip(),
                    scrapped=p.scrapped,
                )
                for p in self.parts
            ),
        )


class MeasurementPublic(PublicModel):
    name: str
    value: float
    unit: str


class PartPublic(PublicModel):
    part_number: str
    serial: str
    quantity: int
    position: str
    monitored: bool
    removed_serial: str
    failure_reason: str
    issued_from: str
    returned_to: str
    scrapped: bool


class ReportPublic(PublicModel):
    """One filed version of the report."""

    version: int
    filed_by: str | None = Field(description=_LOGIN)
    filed_by_name: str | None = Field(default=None, description=_NAME)
    filed_by_role: str
    filed_at: datetime
    symptoms: str
    diagnosis: str
    root_cause: str
    actions_taken: str
    state_before: str
    state_after: str
    failure_at: datetime | None
    arrived_at: datetime | None
    restored_at: datetime | None
    remaining_issues: str
    advice: str
    measurements: list[MeasurementPublic]
    parts: list[PartPublic]

    @classmethod
    def of(cls, report: ServiceReport, names: PeopleNames = NO_NAMES) -> ReportPublic:
        d = report.draft
        return cls(
            version=report.version,
            filed_by=names.login(report.filed_by),
            filed_by_name=names.name(report.filed_by),
            filed_by_role=report.filed_by_role,
            filed_at=report.filed_at,
            symptoms=d.symptoms,
            diagnosis=d.diagnosis,
            root_cause=d.root_cause,
            actions_taken=d.actions_taken,
            state_before=d.state_before,
            state_after=d.state_after,
            failure_at=d.failure_at,
            arrived_at=d.arrived_at,
            restored_at=d.restored_at,
            remaining_issues=d.remaining_issues,
            advice=d.advice,
            measurements=[
                MeasurementPublic(name=m.name, value=m.value, unit=m.unit) for m in d.measurements
            ],
            parts=[
                PartPublic(
                    part_number=p.part_number,
                    serial=p.serial,
                    quantity=p.quantity,
                    position=p.position,
                    monitored=p.monitored,
                    removed_serial=p.removed_serial,
                    failure_reason=p.failure_reason,
                    issued_from=p.issued_from,
                    returned_to=p.returned_to,
                    scrapped=p.scrapped,
                )
                for p in d.parts
            ],
        )


class SignOffPublic(PublicModel):
    """The customer's answer to a report version. ``on_behalf``: the desk recorded it."""

    report_version: int
    accepted: bool
    comments: str
    reason: str
    signer_name: str
    recorded_by: str | None = Field(description=_LOGIN)
    recorded_by_name: str | None = Field(default=None, description=_NAME)
    on_behalf: bool
    at: datetime

    @classmethod
    def of(cls, s: SignOff, names: PeopleNames = NO_NAMES) -> SignOffPublic:
        return cls(
            report_version=s.report_version,
            accepted=s.accepted,
            comments=s.comments,
            reason=s.reason,
            signer_name=s.signer_name,
            recorded_by=names.login(s.recorded_by),
            recorded_by_name=names.name(s.recorded_by),
            on_behalf=s.on_behalf,
            at=s.at,
        )


class ReportStatePublic(PublicModel):
    """A ticket's report: the version asked for (null: none filed yet), how many versions
    there are, whether it may still be edited (and why not), and the sign-offs so far.
    ``sign_off_requested``: the ticket is verified and waits for the customer."""

    ticket_id: int
    status: TicketStatus
    report: ReportPublic | None
    versions: int
    editable: bool
    not_editable_because: str | None
    sign_off_requested: bool
    sign_offs: list[SignOffPublic]


class SignOffRequest(_Input):
    """Sign the report off (``accepted``), or refuse it with a ``reason`` (reopens the ticket).
    The desk recording it for the customer gives ``signer_name``."""

    accepted: bool
    comments: str = Field(default="", max_length=_NOTE)
    reason: str = Field(default="", max_length=_NOTE)
    signer_name: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _refusal_has_reason(self) -> Self:
        if not self.accepted and not self.reason.strip():
            raise ValueError("a refusal needs a reason: say what is not right yet")
        return self


class SignOffOutcome(PublicModel):
    """Where the ticket stands after the answer, and the signature record."""

    ticket_id: int
    status: TicketStatus
    sign_off: SignOffPublic


class SurveyCreate(_Input):
    """The five points of DOMAIN.md from 1 (poor) to 5 (excellent), and comments."""

    attitude: int = Field(ge=1, le=5)
    response_speed: int = Field(ge=1, le=5)
    technical_skill: int = Field(ge=1, le=5)
    effectiveness: int = Field(ge=1, le=5)
    overall: int = Field(ge=1, le=5)
    comments: str = Field(default="", max_length=_NOTE)

    def answers(self) -> SurveyAnswers:
        return SurveyAnswers(
            self.attitude,
            self.response_speed,
            self.technical_skill,
            self.effectiveness,
            self.overall,
            self.comments.strip(),
        )


class SurveyPublic(PublicModel):
    attitude: int
    response_speed: int
    technical_skill: int
    effectiveness: int
    overall: int
    average: float
    comments: str
    recorded_by: str | None = Field(description=_LOGIN)
    recorded_by_name: str | None = Field(default=None, description=_NAME)
    on_behalf: bool
    answered_at: datetime

    @classmethod
    def of(cls, survey: Survey, names: PeopleNames = NO_NAMES) -> SurveyPublic:
        a = survey.answers
        scores = (a.attitude, a.response_speed, a.technical_skill, a.effectiveness, a.overall)
        return cls(
            attitude=a.attitude,
            response_speed=a.response_speed,
            technical_skill=a.technical_skill,
            effectiveness=a.effectiveness,
            overall=a.overall,
            average=round(sum(scores) / len(scores), 2),
            comments=a.comments,
            recorded_by=names.login(survey.recorded_by),
            recorded_by_name=names.name(survey.recorded_by),
            on_behalf=survey.on_behalf,
            answered_at=survey.answered_at,
        )


class CallbackCreate(_Input):
    """The desk called the customer: when (default now), whom, and whether the problem is gone."""

    called_at: AwareDatetime | None = None
    contact_name: str = Field(default="", max_length=200)
    problem_gone: bool
    notes: str = Field(default="", max_length=_NOTE)


class CallbackPublic(PublicModel):
    id: int
    called_by: str | None = Field(description=_LOGIN)
    called_by_name: str | None = Field(default=None, description=_NAME)
    called_at: datetime
    contact_name: str
    problem_gone: bool
    notes: str

    @classmethod
    def of(cls, c: Callback, names: PeopleNames = NO_NAMES) -> CallbackPublic:
        return cls(
            id=c.id,
            called_by=names.login(c.called_by),
            called_by_name=names.name(c.called_by),
            called_at=c.called_at,
            contact_name=c.contact_name,
            problem_gone=c.problem_gone,
            notes=c.notes,
        )


class AfterVisitPublic(PublicModel):
    """The survey (null until answered) and the callbacks, oldest first."""

    ticket_id: int
    status: TicketStatus
    survey: SurveyPublic | None
    callbacks: list[CallbackPublic]


class CapaActionIn(_Input):
    action: str = Field(min_length=1, max_length=2000)
    owner: str = Field(default="", max_length=200)
    due_on: date | None = None


class RcaWrite(_Input):
    """A root cause analysis: the cause, how it was found (e.g. "5 whys"), and at least one
    corrective and one preventive action."""

    root_cause: str = Field(max_length=_TEXT)
    method: str = Field(default="", max_length=200)
    corrective_actions: list[CapaActionIn] = Field(max_length=50)
    preventive_actions: list[CapaActionIn] = Field(max_length=50)

    def actions(self) -> tuple[CapaAction, ...]:
        def of(kind: CapaKind, items: list[CapaActionIn]) -> list[CapaAction]:
            return [CapaAction(kind, a.action.strip(), a.owner.strip(), a.due_on) for a in items]

        return tuple(
            of(CapaKind.CORRECTIVE, self.corrective_actions)
            + of(CapaKind.PREVENTIVE, self.preventive_actions)
        )


class CapaActionPublic(PublicModel):
    action: str
    owner: str
    due_on: date | None


class RcaPublic(PublicModel):
    root_cause: str
    method: str
    corrective_actions: list[CapaActionPublic]
    preventive_actions: list[CapaActionPublic]
    analysed_by: str
    analysed_at: datetime

    @classmethod
    def of(cls, rca: RootCauseAnalysis) -> RcaPublic:
        def of(kind: CapaKind) -> list[CapaActionPublic]:
            return [
                CapaActionPublic(action=a.action, owner=a.owner, due_on=a.due_on)
                for a in rca.actions_of(kind)
            ]

        return cls(
            root_cause=rca.root_cause,
            method=rca.method,
            corrective_actions=of(CapaKind.CORRECTIVE),
            preventive_actions=of(CapaKind.PREVENTIVE),
            analysed_by=rca.analysed_by,
            analysed_at=rca.analysed_at,
        )


class RcaStatePublic(PublicModel):
    """Whether the ticket needs an RCA before archiving and why, and the RCA if recorded.
    ``blocks_archive``: required and not (completely) recorded yet."""

    ticket_id: int
    required: bool
    reasons: list[str]
    blocks_archive: bool
    rca: RcaPublic | None

    @classmethod
    def of(
        cls,
        ticket_id: int,
        requirement: RcaRequirement,
        rca: RootCauseAnalysis | None,
        *,
        blocked: bool,
    ) -> RcaStatePublic:
        return cls(
            ticket_id=ticket_id,
            required=requirement.required,
            reasons=list(requirement.reasons),
            blocks_archive=blocked,
            rca=RcaPublic.of(rca) if rca else None,
        )
