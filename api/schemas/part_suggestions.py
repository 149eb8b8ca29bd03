"""Suggested parts on a ticket, the parts a dispatch reserves, and a job's parts to bring
and parts used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alerts.part_suggestions_for_ticket import PartSuggestion, TicketSuggestions
from alerts.ticket_part_reservations import PartReservation
from api.schemas.base import PublicModel
from api.schemas.dispatch import DispatchedPublic, DispatchRequest, MyJobPublic
from models.part_suggestions import EvidenceLevel, KnowledgePrior, StoreStock
from models.stock import LedgerEntry
from models.tickets import Ticket
from storage.part_suggestion_queries import TicketPartMovement

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StoreStockPublic(PublicModel):
    """A store's stock of the part: ``nearness`` 0 the engineer's van, 1 the regional
    store of the site's region, 2 the central store, 3 another regional store."""

    store_id: str
    store_name: str
    store_kind: str
    nearness: int
    available: int
    on_hand: int
    held_for_ticket: int

    @classmethod
    def of(cls, stock: StoreStock) -> StoreStockPublic:
        return cls(
            store_id=stock.store_id,
            store_name=stock.store_name,
            store_kind=stock.store_kind,
            nearness=stock.nearness,
            available=stock.available,
            on_hand=stock.on_hand,
            held_for_ticket=stock.held_for_ticket,
        )


class SuggestionPublic(PublicModel):
    """A suggested part, rank 1 the likeliest. ``score`` 0..1: the estimated share of such
    faults that needed it. ``used_on`` similar earlier repairs used it, ``fixed`` of the
    ``judged`` ones (30 days passed) the fault did not come back; ``evidence_level`` says
    which repairs counted: the same fault code, the same driving signals, or the model."""

    rank: int
    part_number: str
    description: str
    part_class: str | None
    serialized: bool | None
    score: float
    used_on: int
    fixed: int
    judged: int
    fix_rate: float | None
    evidence_level: EvidenceLevel
    knowledge_entries: list[str]
    reasons: list[str]
    stock: list[StoreStockPublic]

    @classmethod
    def of(cls, suggestion: PartSuggestion) -> SuggestionPublic:
        ranked, part = suggestion.ranked, suggestion.part
        evidence = ranked.evidence
        return cls(
            rank=ranked.rank,
            part_number=ranked.part_number,
            description=part.description if part else "",
            part_class=part.part_class.value if part else None,
            serialized=part.serialized if part else None,
            score=ranked.score,
            used_on=evidence.used,
            fixed=evidence.fixed,
            judged=evidence.judged,
            fix_rate=round(evidence.fix_rate, 3) if evidence.fix_rate is not None else None,
            evidence_level=ranked.evidence_level,
            knowledge_entries=list(ranked.knowledge_entries),
            reasons=list(ranked.reasons),
            stock=[StoreStockPublic.of(s) for s in suggestion.stock],
        )


class KnowledgePriorPublic(PublicModel):
    entry_id: int
    title: str
    part_numbers: list[str]
    weight: float

    @classmethod
    def of(cls, prior: KnowledgePrior) -> KnowledgePriorPublic:
        return cls(
            entry_id=prior.entry_id,
            title=prior.title,
            part_numbers=list(prior.part_numbers),
            weight=round(prior.weight, 3),
        )


class TicketPartPublic(PublicModel):
    """What the ticket holds reserved of a part in a store, and what was issued on it."""

    store_id: str
    store_name: str
    store_kind: str
    part_number: str
    reserved: int
    issued: int
    returned: int

    @classmethod
    def of(cls, movement: TicketPartMovement) -> TicketPartPublic:
        return cls(
            store_id=movement.store.id,
            store_name=movement.store.name,
            store_kind=movement.store.kind.value,
            part_number=movement.part_number,
            reserved=movement.reserved,
            issued=movement.issued,
            returned=movement.returned,
        )


class PartSuggestionsPublic(PublicModel):
    """The ticket's suggested parts, best first, what they rest on, and what the ticket
    holds reserved already. Stock is shown for ``engineer``'s van (the assigned
    engineer, or the one asked about), the site's region and the central store."""

    ticket_id: int
    number: str
    machine_model: str
    fault_codes: list[int]
    signals: list[str]
    engineer: str | None
    site_region: str | None
    repairs_considered: int
    knowledge: list[KnowledgePriorPublic]
    suggestions: list[SuggestionPublic]
    ticket_parts: list[TicketPartPublic]

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        found: TicketSuggestions,
        *,
        engineer: str | None,
        site_region: str | None,
        ticket_parts: Sequence[TicketPartMovement],
    ) -> PartSuggestionsPublic:
        return cls(
            ticket_id=ticket.id,
            number=ticket.number,
            machine_model=found.fault.machine_model,
            fault_codes=sorted(found.fault.fault_codes),
            signals=sorted(found.fault.signals),
            engineer=engineer,
            site_region=site_region,
            repairs_considered=found.repairs_considered,
            knowledge=[KnowledgePriorPublic.of(k) for k in found.knowledge],
            suggestions=[SuggestionPublic.of(s) for s in found.suggestions],
            ticket_parts=[TicketPartPublic.of(m) for m in ticket_parts],
        )


class ReservationBody(BaseModel):
    """Reserve ``quantity`` of a catalogue part from a store for the ticket."""

    model_config = ConfigDict(extra="forbid")

    part_number: Text
    store_id: Text
    quantity: int = Field(default=1, ge=1, le=10_000)


class DispatchWithPartsRequest(DispatchRequest):
    """A dispatch that also reserves parts for the ticket through the stock ledger, in the
    same transaction: a reservation the stock cannot cover refuses the whole dispatch.
    Reserved parts join the parts to bring."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "engineer": "demo-field-1",
                    "tools": ["bearing puller"],
                    "parts": [],
                    "note": "Main drive bearing runs hot; the line stops for the swap at 14:00.",
                    "reserve": [
                        {"part_number": "FIL12-BRG-KIT", "store_id": "central", "quantity": 1}
                    ],
                }
            ]
        }
    )

    reserve: list[ReservationBody] = Field(default_factory=list, max_length=50)

    def reservations(self) -> list[PartReservation]:
        return [PartReservation(r.part_number, r.store_id, r.quantity) for r in self.reserve]


class ReservedPublic(PublicModel):
    """A reservation the dispatch booked: its ledger entry, store, part and quantity."""

    ledger_entry_id: int
    store_id: str
    part_number: str
    quantity: int

    @classmethod
    def of(cls, entry: LedgerEntry) -> ReservedPublic:
        return cls(
            ledger_entry_id=entry.id,
            store_id=entry.store_id,
            part_number=entry.part_number,
            quantity=entry.quantity,
        )


class DispatchedWithPartsPublic(DispatchedPublic):
    """The dispatch's answer with the reservations it booked (none when repeated)."""

    reserved: list[ReservedPublic]


class MyJobWithPartsPublic(MyJobPublic):
    """A job with its parts: ``parts_to_bring`` what the ticket holds reserved, by store
    (pick them up there), and ``parts_used`` what was issued on it."""

    parts_to_bring: list[TicketPartPublic]
    parts_used: list[TicketPartPublic]

    @classmethod
    def with_parts(
        cls, job: MyJobPublic, movements: Sequence[TicketPartMovement]
    ) -> MyJobWithPartsPublic:
        return cls(
            **dict(job),
            parts_to_bring=[TicketPartPublic.of(m) for m in movements if m.reserved > 0],
            parts_used=[TicketPartPublic.of(m) for m in movements if m.issued > 0],
        )
