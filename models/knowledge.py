"""The fault knowledge base: manual entries per fault code, articles per symptom,
their versions, the review workflow and the links from tickets and alerts.

Technical support writes the entries (DOMAIN.md, "Who uses it"); what a repair
taught comes back as a proposal (DOMAIN.md, "After the visit").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.users import Role


class EntryKind(StrEnum):
    FAULT_CODE = "fault_code"  # a page of the fault-code manual
    SYMPTOM = "symptom"  # an article for a symptom without a code


class EntryStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class Audience(StrEnum):
    INTERNAL = "internal"  # staff only
    CUSTOMERS = "customers"  # also customers owning one of the entry's machine models


# The review workflow: moves and the roles that may make them.
WRITERS: frozenset[Role] = frozenset({Role.SUPPORT, Role.ADMIN})
_S = EntryStatus
MOVES: dict[tuple[EntryStatus, EntryStatus], str] = {
    (_S.DRAFT, _S.IN_REVIEW): "submit for review",
    (_S.IN_REVIEW, _S.DRAFT): "send back to draft",
    (_S.IN_REVIEW, _S.PUBLISHED): "publish",
    (_S.DRAFT, _S.RETIRED): "retire",
    (_S.IN_REVIEW, _S.RETIRED): "retire",
    (_S.PUBLISHED, _S.RETIRED): "retire",
    (_S.RETIRED, _S.DRAFT): "reopen as draft",
}


def move_refusal(current: EntryStatus, target: EntryStatus, role: Role) -> str | None:
    """Why the move is refused (a sentence), or None when the role may make it."""
    if role not in WRITERS:
        return f"only technical support or an administrator may {target.value} entries"
    if (current, target) not in MOVES:
        allowed = [f"{to.value} ({what})" for (frm, to), what in MOVES.items() if frm is current]
        return f"an entry {current.value} cannot move to {target.value}; it may move to " + (
            ", ".join(allowed) or "nothing"
        )
    return None


def status_after_edit(current: EntryStatus) -> EntryStatus:
    """An edit of a reviewed or published entry is a new draft; the published version
    stays what readers see until the new one is published."""
    return EntryStatus.DRAFT if current is not EntryStatus.RETIRED else current


@dataclass(frozen=True, slots=True)
class EntryContent:
    """What one version of an entry says and what it applies to."""

    kind: EntryKind
    audience: Audience
    machine_models: tuple[str, ...]
    title: str
    fault_codes: tuple[int, ...] = ()
    signals: tuple[str, ...] = ()
    part_numbers: tuple[str, ...] = ()
    symptoms: str = ""
    causes: str = ""
    checks: str = ""
    remedies: str = ""
    body: str = ""


def content_problem(content: EntryContent) -> str | None:
    """What is wrong with the content (one sentence), or None when it may be stored."""
    if not content.title.strip():
        return "an entry needs a title"
    if not content.machine_models or any(not m.strip() for m in content.machine_models):
        return "an entry applies to at least one machine model (no blank names)"
    if content.kind is EntryKind.FAULT_CODE and not content.fault_codes:
        return "a fault-code entry names at least one fault code"
    if any(code < 0 for code in content.fault_codes):
        return "fault codes are not negative"
    if any(not s.strip() for s in content.signals + content.part_numbers):
        return "signals and part numbers are not blank"
    return None


@dataclass(frozen=True, slots=True)
class EntryVersion:
    """One stored version: its content, who wrote it, when, and why."""

    entry_id: int
    version: int
    content: EntryContent
    edited_by: str
    edited_by_name: str
    edited_at: datetime
    change_note: str
    source_ticket_id: int | None


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    """An entry as a reader sees it: one version's content and the entry's life."""

    id: int
    manual_key: str | None
    status: EntryStatus
    current_version: int
    published_version: int | None
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    shown: EntryVersion  # the version this reader sees (staff: the newest)


@dataclass(frozen=True, slots=True)
class SnippetPart:
    """A stretch of a search snippet; ``match`` marks the words the query found."""

    text: str
    match: bool


@dataclass(frozen=True, slots=True)
class SearchHit:
    entry: KnowledgeEntry
    rank: float
    snippet: tuple[SnippetPart, ...]


@dataclass(frozen=True, slots=True)
class KnowledgeQuery:
    """Filters of a search; empty ones do not filter."""

    text: str = ""
    machine_model: str | None = None
    fault_code: int | None = None
    signal: str | None = None
    statuses: tuple[EntryStatus, ...] = ()  # any of these; empty: any status
    limit: int = 50
    offset: int = 0  # matches skipped before the first one returned


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose eyes a read is for: staff see every entry's newest version; a customer sees
    published versions for customers on the machine models they own."""

    staff: bool
    owned_models: frozenset[str] = frozenset()


STAFF_VIEWER = Viewer(staff=True)


@dataclass(frozen=True, slots=True)
class FaultContext:
    """What a ticket or an alert tells about its fault: the machine model, the PLC fault
    codes of its stops and the signals that drove it."""

    machine_model: str
    fault_codes: frozenset[int] = frozenset()
    signals: frozenset[str] = frozenset()


class LinkReason(StrEnum):
    FAULT_CODE = "fault_code"  # the same PLC fault code on the same machine model
    SIGNALS = "signals"  # the same driving signals on the same machine model


@dataclass(frozen=True, slots=True)
class KnowledgeLink:
    """An entry linked to a fault, best first; ``matched`` names the codes or signals."""

    entry: KnowledgeEntry
    reason: LinkReason
    matched_codes: tuple[int, ...]
    matched_signals: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a ticket proposed: a new entry, or a new version of an existing one."""

    ticket_id: int
    entry_id: int
    version: int
    addition: bool
    proposed_at: datetime
    proposed_by: str
