"""What a repair taught goes back into the knowledge base, for support to review.

A reviewed ticket's service report and root cause analysis become a proposal:
a new version of the entry its fault links to (same model and fault code, else
the same driving signals), or a new entry when none does. A proposal is always
a draft for internal readers: it comes from one customer's ticket, so names of
customers are scrubbed, and it reaches customers only after support edits it
for them and publishes it. Each ticket proposes once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import psycopg

from alerts.knowledge_linking import links_for
from models.knowledge import (
    STAFF_VIEWER,
    Audience,
    EntryContent,
    EntryKind,
    FaultContext,
    Proposal,
    status_after_edit,
)
from models.service_report import CapaKind, RootCauseAnalysis, ServiceReport
from models.tickets import Ticket
from storage import knowledge_store, service_report_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope

log = logging.getLogger(__name__)

SYSTEM_AUTHOR = "linecare"
SYSTEM_AUTHOR_NAME = "LineCare (proposed from a reviewed ticket)"
_REDACTED = "[customer]"


@dataclass(frozen=True, slots=True)
class NothingToPropose:
    """Why the ticket proposes nothing (a sentence)."""

    message: str


@dataclass(frozen=True, slots=True)
class Lesson:
    """What the ticket's closure says about the fault, scrubbed of the customer's names."""

    symptoms: str
    root_cause: str
    checks: str
    remedies: str
    advice: str
    part_numbers: tuple[str, ...]
    repaired_at: datetime | None = None  # when the line ran again (else failed), if known


def lesson_of(
    report: ServiceReport | None, rca: RootCauseAnalysis | None, scrub: tuple[str, ...]
) -> Lesson | None:
    """The lesson of a closure, or None when neither a report nor an RCA says anything."""
    if report is None and rca is None:
        return None
    draft = report.draft if report is not None else None
    actions = [draft.actions_taken] if draft is not None and draft.actions_taken else []
    if rca is not None:
        actions += [f"Corrective: {a.action}" for a in rca.actions_of(CapaKind.CORRECTIVE)]
        actions += [f"Preventive: {a.action}" for a in rca.actions_of(CapaKind.PREVENTIVE)]
    root_cause = rca.root_cause if rca is not None and rca.root_cause else ""
    if not root_cause and draft is not None:
        root_cause = draft.root_cause
    return Lesson(
        symptoms=redact(draft.symptoms if draft else "", scrub),
        root_cause=redact(root_cause, scrub),
        checks=redact(draft.diagnosis if draft else "", scrub),
        remedies=redact("\n".join(f"- {a}" for a in actions), scrub),
        advice=redact(draft.advice if draft else "", scrub),
        part_numbers=tuple(dict.fromkeys(p.part_number for p in draft.parts)) if draft else (),
        repaired_at=(draft.restored_at or draft.failure_at) if draft else None,
    )


def redact(text: str, words: tuple[str, ...]) -> str:
    """The text with each of the words (longest first) replaced, ignoring case."""
    for word in sorted(words, key=len, reverse=True):
        if word.strip():
            text = re.sub(re.escape(word), _REDACTED, text, flags=re.IGNORECASE)
    return text


def new_entry_content(ticket: Ticket, context: FaultContext, lesson: Lesson) -> EntryContent:
    """A draft entry for a fault the knowledge base does not cover yet."""
    codes = tuple(sorted(context.fault_codes))
    kind = EntryKind.FAULT_CODE if codes else EntryKind.SYMPTOM
    subject = lesson.root_cause.splitlines()[0][:120] if lesson.root_cause else ""
    title = f"{ticket.draft.machine_model}: {subject or 'fault found on a repair'}"
    if codes:
        title = f"{ticket.draft.machine_model} fault {', '.join(map(str, codes))}: {subject}"
    return EntryContent(
        kind=kind,
        audience=Audience.INTERNAL,
        machine_models=(ticket.draft.machine_model,),
        title=title.rstrip(": "),
        fault_codes=codes,
        signals=tuple(sorted(context.signals)),
        part_numbers=lesson.part_numbers,
        symptoms=lesson.symptoms,
        causes=lesson.root_cause,
        checks=lesson.checks,
        remedies=lesson.remedies,
        body=lesson.advice,
    )


def added_content(
    current: EntryContent, context: FaultContext, lesson: Lesson, at: datetime
) -> EntryContent:
    """The entry with the repair's findings appended under a heading dated by the repair
    (else by ``at``); internal until support edits it for customers."""
    heading = f"From a repair on {(lesson.repaired_at or at).date().isoformat()}:"

    def append(text: str, addition: str) -> str:
        if not addition.strip() or addition.strip() in text:
            return text
        return f"{text}\n\n{heading}\n{addition}".strip()

    return EntryContent(
        kind=current.kind,
        audience=Audience.INTERNAL,
        machine_models=current.machine_models,
        title=current.title,
        fault_codes=tuple(sorted(set(current.fault_codes) | context.fault_codes)),
        signals=tuple(sorted(set(current.signals) | context.signals)),
        part_numbers=tuple(dict.fromkeys(current.part_numbers + lesson.part_numbers)),
        symptoms=append(current.symptoms, lesson.symptoms),
        causes=append(current.causes, lesson.root_cause),
        checks=append(current.checks, lesson.checks),
        remedies=append(current.remedies, lesson.remedies),
        body=append(current.body, lesson.advice),
    )


async def fault_context_of(
    conn: Connection, *, ticket: Ticket, scope: CustomerScope
) -> FaultContext:
    """The ticket's machine model, the fault codes of its stops (none outside the scope)
    and its driving signals."""
    codes = await knowledge_store.ticket_fault_codes(conn, ticket_id=ticket.id, scope=scope)
    return FaultContext(ticket.draft.machine_model, codes, frozenset(ticket.draft.signals))


async def propose_from_ticket(
    conn: Connection, *, ticket: Ticket, by: str, by_name: str, at: datetime
) -> Proposal | NothingToPropose:
    """The ticket's proposal: the one it made before, or a new one made now.

    Callers hold a transaction; the ticket's row lock (or the unique proposal per
    ticket) keeps two callers from proposing twice.
    """
    made = await knowledge_store.proposal_of(conn, ticket_id=ticket.id)
    if made is not None:
        return made
    # Any customer's names, not only this one's: a report may name a neighbour's plant.
    scrub = await knowledge_store.customer_words(conn)
    scrub += tuple(w for w in (ticket.draft.contact_name, ticket.draft.contact_email) if w)
    lesson = lesson_of(
        await service_report_store.report(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER),
        await service_report_store.rca(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER),
        scrub,
    )
    if lesson is None:
        return NothingToPropose(
            f"ticket {ticket.number} has no service report and no root cause analysis yet"
        )
    context = await fault_context_of(conn, ticket=ticket, scope=EVERY_CUSTOMER)
    links = await links_for(
        conn, context=context, viewer=STAFF_VIEWER, limit=1, scope=EVERY_CUSTOMER
    )
    note = "proposed from a reviewed ticket"
    if links:
        entry = await knowledge_store.lock_entry(conn, entry_id=links[0].entry.id)
        assert entry is not None  # linked a moment ago; entries are never deleted
        content = added_content(links[0].entry.shown.content, context, lesson, at)
        version = await knowledge_store.add_version(
            conn,
            entry=entry,
            content=content,
            status=status_after_edit(entry.status),
            by=by,
            by_name=by_name,
            at=at,
            note=note,
            source_ticket_id=ticket.id,
        )
        proposal = Proposal(ticket.id, entry.id, version, True, at, by)
    else:
        entry_id = await knowledge_store.create_entry(
            conn,
            content=new_entry_content(ticket, context, lesson),
            by=by,
            by_name=by_name,
            at=at,
            note=note,
            source_ticket_id=ticket.id,
        )
        proposal = Proposal(ticket.id, entry_id, 1, False, at, by)
    await knowledge_store.record_proposal(conn, proposal=proposal)
    return proposal


async def propose_after_review(conn: Connection, *, ticket_id: int, at: datetime) -> None:
    """The hook of a ticket reaching reviewed or archived: propose what it taught.

    Runs inside the move's transaction under a savepoint; a failure here is logged
    and never holds up the ticket.
    """
    try:
        async with conn.transaction():
            ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
            if ticket is None:
                return
            result = await propose_from_ticket(
                conn, ticket=ticket, by=SYSTEM_AUTHOR, by_name=SYSTEM_AUTHOR_NAME, at=at
            )
            if isinstance(result, NothingToPropose):
                log.info("knowledge base: %s", result.message)
    except psycopg.Error:
        log.exception("knowledge base: proposing from ticket %s failed", ticket_id)
