"""The knowledge base: entries, their versions, search hits and the links of a fault."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.base import PublicModel
from models.knowledge import (
    Audience,
    EntryContent,
    EntryKind,
    EntryStatus,
    EntryVersion,
    KnowledgeEntry,
    KnowledgeLink,
    LinkReason,
    SearchHit,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=20_000)]
FaultCode = Annotated[int, Field(ge=0, le=2**31 - 1)]


_ENTRY_EXAMPLE: dict[str, Any] = {
    "kind": "fault_code",
    "audience": "customers",
    "title": "F-217 Filler valve does not close",
    "machine_models": ["FIL-12"],
    "fault_codes": [217],
    "signals": ["valve_position"],
    "symptoms": "The filler drips after the cleaning cycle.",
    "causes": "Worn valve seal or residue on the seat.",
    "checks": "Watch valve_position during the first cycle after cleaning.",
    "remedies": "Clean the seat; replace the seal if it is worn.",
    "change_note": "First version",
}


class EntryBody(BaseModel):
    """What an entry says and what it applies to (a write replaces all of it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ENTRY_EXAMPLE]})

    kind: EntryKind
    audience: Audience = Audience.INTERNAL
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    machine_models: list[Name] = Field(min_length=1, max_length=50, examples=[["FIL-12"]])
    fault_codes: list[FaultCode] = Field(default_factory=list, max_length=50)
    signals: list[Name] = Field(default_factory=list, max_length=50)
    part_numbers: list[Name] = Field(default_factory=list, max_length=50)
    symptoms: Text = ""
    causes: Text = ""
    checks: Text = ""
    remedies: Text = ""
    body: Text = ""
    change_note: str = Field(default="", max_length=500)

    def content(self) -> EntryContent:
        return EntryContent(
            kind=self.kind,
            audience=self.audience,
            machine_models=tuple(dict.fromkeys(self.machine_models)),
            title=self.title,
            fault_codes=tuple(sorted(set(self.fault_codes))),
            signals=tuple(dict.fromkeys(self.signals)),
            part_numbers=tuple(dict.fromkeys(self.part_numbers)),
            symptoms=self.symptoms,
            causes=self.causes,
            checks=self.checks,
            remedies=self.remedies,
            body=self.body,
        )


class EntryEdit(EntryBody):
    """An edit names the version it was made on: an edit of an older one is refused (409),
    so nobody overwrites a colleague's change unseen."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_ENTRY_EXAMPLE, "change_note": "Seal part number added", "base_version": 1}
            ]
        }
    )

    base_version: int = Field(ge=1)


class EntryTransition(BaseModel):
    """Move an entry through its review: ``to`` the next status, with a ``note``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"to": "in_review", "note": "Ready for a second look"}]},
    )

    to: EntryStatus
    note: str = Field(default="", max_length=500)


class ProposalRequest(BaseModel):
    """Propose an entry drafted from a closed ticket's report."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ticket_id": 42}]})

    ticket_id: int = Field(ge=1, le=2**63 - 1)


class PartRef(PublicModel):
    part_number: str
    description: str  # empty for customers: the catalogue is staff's


class TicketRef(PublicModel):
    id: int
    number: str


class EntryPublic(PublicModel):
    """An entry as the reader sees it. ``version`` is the one shown: staff the newest,
    customers the published one; ``pending_review`` says a newer version waits."""

    id: int
    kind: EntryKind
    status: EntryStatus
    audience: Audience
    title: str
    machine_models: list[str]
    fault_codes: list[int]
    signals: list[str]
    parts: list[PartRef]
    symptoms: str
    causes: str
    checks: str
    remedies: str
    body: str
    version: int
    current_version: int
    published_version: int | None
    pending_review: bool
    written_by: str
    written_at: datetime
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None
    manual_key: str | None
    source_ticket: TicketRef | None

    @classmethod
    def of(
        cls,
        entry: KnowledgeEntry,
        part_names: dict[str, str],
        source_ticket: TicketRef | None = None,
    ) -> EntryPublic:
        shown = entry.shown
        content = shown.content
        # A reader who is not staff sees the published version as the entry, and nothing
        # of the drafts on their way (they may come from another customer's ticket).
        staff_view = shown.version == entry.current_version
        return cls(
            id=entry.id,
            kind=content.kind,
            status=entry.status if staff_view else EntryStatus.PUBLISHED,
            audience=content.audience,
            title=content.title,
            machine_models=list(content.machine_models),
            fault_codes=list(content.fault_codes),
            signals=list(content.signals),
            parts=[
                PartRef(part_number=p, description=part_names.get(p, ""))
                for p in content.part_numbers
            ],
            symptoms=content.symptoms,
            causes=content.causes,
            checks=content.checks,
            remedies=content.remedies,
            body=content.body,
            version=shown.version,
            current_version=shown.version if not staff_view else entry.current_version,
            published_version=entry.published_version,
            pending_review=staff_view and entry.published_version != entry.current_version,
            written_by=shown.edited_by_name,
            written_at=shown.edited_at,
            created_by=entry.created_by,
            created_at=entry.created_at,
            published_by=entry.published_by,
            published_at=entry.published_at,
            manual_key=entry.manual_key,
            source_ticket=source_ticket,
        )


class VersionSummary(PublicModel):
    version: int
    title: str
    audience: Audience
    edited_by: str
    edited_by_name: str
    edited_at: datetime
    change_note: str
    published: bool  # the version readers see now
    source_ticket_id: int | None

    @classmethod
    def of(cls, version: EntryVersion, published_version: int | None) -> VersionSummary:
        return cls(
            version=version.version,
            title=version.content.title,
            audience=version.content.audience,
            edited_by=version.edited_by,
            edited_by_name=version.edited_by_name,
            edited_at=version.edited_at,
            change_note=version.change_note,
            published=version.version == published_version,
            source_ticket_id=version.source_ticket_id,
        )


class ProposalPublic(PublicModel):
    ticket: TicketRef
    entry_id: int
    version: int
    addition: bool
    proposed_at: datetime
    proposed_by: str


class EntryDetail(PublicModel):
    """An entry with its history: every version (staff) and the tickets that proposed them."""

    entry: EntryPublic
    versions: list[VersionSummary]
    proposals: list[ProposalPublic]


class VersionPublic(PublicModel):
    """One version in full, for comparing versions."""

    summary: VersionSummary
    kind: EntryKind
    machine_models: list[str]
    fault_codes: list[int]
    signals: list[str]
    part_numbers: list[str]
    symptoms: str
    causes: str
    checks: str
    remedies: str
    body: str

    @classmethod
    def of(cls, version: EntryVersion, published_version: int | None) -> VersionPublic:
        content = version.content
        return cls(
            summary=VersionSummary.of(version, published_version),
            kind=content.kind,
            machine_models=list(content.machine_models),
            fault_codes=list(content.fault_codes),
            signals=list(content.signals),
            part_numbers=list(content.part_numbers),
            symptoms=content.symptoms,
            causes=content.causes,
            checks=content.checks,
            remedies=content.remedies,
            body=content.body,
        )


class SnippetPartPublic(PublicModel):
    text: str
    match: bool


class SearchHitPublic(PublicModel):
    entry: EntryPublic
    rank: float
    snippet: list[SnippetPartPublic]

    @classmethod
    def of(cls, hit: SearchHit, part_names: dict[str, str]) -> SearchHitPublic:
        return cls(
            entry=EntryPublic.of(hit.entry, part_names),
            rank=hit.rank,
            snippet=[SnippetPartPublic(text=p.text, match=p.match) for p in hit.snippet],
        )


class LinkPublic(PublicModel):
    entry: EntryPublic
    reason: LinkReason
    matched_codes: list[int]
    matched_signals: list[str]
    score: float

    @classmethod
    def of(cls, link: KnowledgeLink, part_names: dict[str, str]) -> LinkPublic:
        return cls(
            entry=EntryPublic.of(link.entry, part_names),
            reason=link.reason,
            matched_codes=list(link.matched_codes),
            matched_signals=list(link.matched_signals),
            score=round(link.score, 4),
        )


class KnowledgeLinksPublic(PublicModel):
    """The entries a fault links to, best first, and what the fault was matched on."""

    machine_model: str
    fault_codes: list[int]
    signals: list[str]
    links: list[LinkPublic]
    ticket: TicketRef | None = None  # the ticket asked about, if one was
