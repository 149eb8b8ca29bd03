"""Suggested parts on a ticket: the past repairs they are learned from, the knowledge
base's word on a fault, and what the ranking answers.

A past repair is a closed-out ticket of the same machine model that used parts: its
fault (PLC fault codes, driving signals), the parts its service report lists, and
whether the fault came back on that machine within the repeat window
(``Outcome``). ``alerts.part_suggestions`` ranks the parts for a new fault from
them; docs/spare_parts.md, "Suggested parts", explains the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A fault that comes back on the same machine within this time after the repair
# means the repair did not fix it (DOMAIN.md: repeated faults, same machine, same fault).
REPEAT_WINDOW = timedelta(days=30)


class Outcome(StrEnum):
    """Whether a repair fixed its fault: no repeat within the window, a repeat, or too
    recent to tell."""

    FIXED = "fixed"
    REPEATED = "repeated"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class FaultSignature:
    """What a fault shows: the machine model, its PLC fault codes, its driving signals."""

    machine_model: str
    fault_codes: frozenset[int] = frozenset()
    signals: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One earlier fault ticket of a machine, as the service history keeps it.

    ``parts``: part numbers of its service report in the report's order (the first is
    the main one; empty when no part was replaced); ``repaired_at``: when the machine ran
    again (else when the ticket was received).
    """

    ticket_id: int
    machine_id: str
    fault: FaultSignature
    parts: tuple[str, ...]
    received_at: datetime
    repaired_at: datetime


@dataclass(frozen=True, slots=True)
class PastRepair:
    """A service record that used parts, with whether its repair held (as of a moment)."""

    record: ServiceRecord
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class KnowledgePrior:
    """A knowledge-base entry linked to the fault and the parts it says are usually
    needed. ``weight`` 1 for the manual page of the same fault code, less for an article
    that shares driving signals (the link's signal overlap)."""

    entry_id: int
    title: str
    part_numbers: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class PartEvidence:
    """How one part did on the similar past repairs: on how many it was used, how many of
    those held (no repeat), and how many could be judged (the window has passed)."""

    used: int = 0
    fixed: int = 0
    judged: int = 0

    @property
    def fix_rate(self) -> float | None:
        return self.fixed / self.judged if self.judged else None


class EvidenceLevel(StrEnum):
    """Which past repairs a suggestion's figures come from, the closest first."""

    FAULT_CODE = "fault_code"  # the same fault code on the same model
    SIGNALS = "signals"  # sharing driving signals on the same model
    MODEL = "model"  # any repair on the same model


@dataclass(frozen=True, slots=True)
class RankedPart:
    """A part suggested for a fault, best first: ``score`` 0..1 (the estimated chance it is
    the part needed), the figures it rests on and the reasons in sentences."""

    part_number: str
    score: float
    evidence: PartEvidence
    evidence_level: EvidenceLevel
    knowledge_entries: tuple[str, ...]
    reasons: tuple[str, ...]
    rank: int = 0


@dataclass(frozen=True, slots=True)
class StoreStock:
    """What a store holds of a part for a ticket: ``available`` = on hand - reserved;
    ``held_for_ticket`` what this ticket has reserved there already. ``nearness`` 0 is the
    assigned engineer's van, 1 the regional store of the site's region, 2 the central
    store, 3 any other store."""

    store_id: str
    store_name: str
    store_kind: str
    nearness: int
    available: int
    on_hand: int
    held_for_ticket: int
