"""Patrol inspections as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from models.inspections import Answer, Finding, Inspection, InspectionTemplate
from models.plant import Severity

__all__ = ["InspectionCreate", "InspectionPublic", "InspectionTemplate"]


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=4000)
    note: str = Field(default="", max_length=4000)


class FindingBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    machine_id: str | None = None
    severity: Severity = Severity.GENERAL
    description: str = Field(min_length=1, max_length=4000)
    needs_work: bool = True


class InspectionCreate(BaseModel):
    """A filled-in checklist: the line, the template, an answer per item, the findings."""

    model_config = ConfigDict(extra="forbid")

    line_id: str
    template: str = "patrol"
    inspected_at: datetime | None = None
    answers: list[AnswerBody] = Field(max_length=200)
    findings: list[FindingBody] = Field(default_factory=list, max_length=100)

    def answer_list(self) -> tuple[Answer, ...]:
        return tuple(Answer(a.item, a.value.strip(), a.note.strip()) for a in self.answers)

    def finding_list(self) -> tuple[Finding, ...]:
        return tuple(
            Finding(n, f.machine_id, f.severity, f.description.strip(), f.needs_work)
            for n, f in enumerate(self.findings, start=1)
        )


class AnswerPublic(PublicModel):
    item: str
    label: str
    value: str
    note: str


class FindingPublic(PublicModel):
    position: int
    machine_id: str | None
    severity: Severity
    description: str
    needs_work: bool
    ticket_id: int | None


class InspectionPublic(PublicModel):
    id: int
    customer_id: str
    site_id: str
    line_id: str
    template: str
    inspected_at: datetime
    inspector: str
    answers: list[AnswerPublic]
    findings: list[FindingPublic]

    @classmethod
    def of(cls, inspection: Inspection, template: InspectionTemplate | None) -> InspectionPublic:
        draft = inspection.draft

        def label(key: str) -> str:
            item = template.item(key) if template is not None else None
            return item.label if item is not None else key

        return cls(
            id=inspection.id,
            customer_id=draft.customer_id,
            site_id=draft.site_id,
            line_id=draft.line_id,
            template=draft.template,
            inspected_at=draft.inspected_at,
            inspector=draft.inspector,
            answers=[
                AnswerPublic(item=a.item, label=label(a.item), value=a.value, note=a.note)
                for a in draft.answers
            ],
            findings=[
                FindingPublic(
                    position=f.position,
                    machine_id=f.machine_id,
                    severity=f.severity,
                    description=f.description,
                    needs_work=f.needs_work,
                    ticket_id=f.ticket_id,
                )
                for f in draft.findings
            ],
        )


class FindingTicketPublic(PublicModel):
    ticket_id: int
    ticket_number: str
    created: bool
