"""The suggested parts of one ticket: its fault, the model's service history judged as
of now, the knowledge-base entries the fault links to, the catalogue's parts that fit
the model, and where each suggested part is in stock, nearest first.

Reads only; the pure ranking is ``alerts.part_suggestions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.knowledge_linking import links_for
from alerts.part_suggestions import judge_outcomes, nearest_stock, rank_parts
from models.knowledge import STAFF_VIEWER, FaultContext, KnowledgeLink, LinkReason
from models.part_suggestions import (
    FaultSignature,
    KnowledgePrior,
    RankedPart,
    StoreStock,
)
from models.parts import Part
from models.tickets import Ticket
from storage import knowledge_store, parts_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER
from storage.part_suggestion_queries import part_stock, service_records


@dataclass(frozen=True, slots=True)
class PartSuggestion:
    """A ranked part with its catalogue entry (None: not in the catalogue) and its stock."""

    ranked: RankedPart
    part: Part | None
    stock: tuple[StoreStock, ...]


@dataclass(frozen=True, slots=True)
class TicketSuggestions:
    """What the suggestions rest on (the fault, the entries, how many past repairs) and
    the suggestions, best first."""

    fault: FaultSignature
    knowledge: tuple[KnowledgePrior, ...]
    repairs_considered: int
    suggestions: tuple[PartSuggestion, ...]


async def suggest_for_ticket(
    conn: Connection,
    *,
    ticket: Ticket,
    engineer_login: str | None,
    site_region: str | None,
    now: datetime,
    limit: int = 5,
) -> TicketSuggestions:
    """The ticket's suggested parts, from every other ticket of its machine model known now."""
    codes = await knowledge_store.ticket_fault_codes(
        conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER
    )
    fault = FaultSignature(ticket.draft.machine_model, codes, frozenset(ticket.draft.signals))
    records = await service_records(
        conn, machine_model=fault.machine_model, exclude_ticket_id=ticket.id
    )
    repairs = judge_outcomes(records, now=now)
    context = FaultContext(fault.machine_model, fault.fault_codes, fault.signals)
    knowledge = tuple(
        _prior(link)
        for link in await links_for(
            conn, context=context, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
        )
    )
    catalogue = {
        e.part.part_number: e.part
        for e in await parts_store.list_parts(conn, machine_model=fault.machine_model)
    }
    ranked = rank_parts(fault, repairs, knowledge, fitting=tuple(catalogue), limit=limit)
    levels = await part_stock(
        conn, part_numbers=[r.part_number for r in ranked], ticket_id=ticket.id
    )
    suggestions = tuple(
        PartSuggestion(
            r,
            catalogue.get(r.part_number),
            tuple(
                nearest_stock(
                    (
                        (lv.store, lv.level, lv.held_for_ticket)
                        for lv in levels
                        if lv.level.part_number == r.part_number
                    ),
                    engineer_login=engineer_login,
                    site_region=site_region,
                )
            ),
        )
        for r in ranked
    )
    return TicketSuggestions(fault, knowledge, len(repairs), suggestions)


def _prior(link: KnowledgeLink) -> KnowledgePrior:
    """The manual page of the fault code counts fully; an article sharing signals by its
    overlap with the fault's signals (below 1)."""
    content = link.entry.shown.content
    weight = 1.0 if link.reason is LinkReason.FAULT_CODE else min(link.score, 1.0)
    return KnowledgePrior(link.entry.id, content.title, content.part_numbers, weight)
