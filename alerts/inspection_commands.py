"""Patrol inspections: checking a filled-in checklist against its template, keeping it
with the line's history, and opening a ticket for a finding that needs work (once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alerts.ticket_intake import IntakeError
from alerts.ticket_registration import register_request
from models.inspections import (
    Answer,
    Finding,
    Inspection,
    InspectionDraft,
    InspectionTemplate,
    load_templates,
)
from models.plant import Line, Plant
from models.tickets import Channel, Ticket, TicketRequest, TicketType
from models.users import User
from storage import inspection_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

# The template file lies beside the plant file.
TEMPLATE_FILE_NAME = "inspection_templates.yaml"


class InspectionError(ValueError):
    """An inspection or finding that cannot be taken as given; the message says why."""


def read_templates(plant_file: Path) -> tuple[InspectionTemplate, ...]:
    path = plant_file.parent / TEMPLATE_FILE_NAME
    return load_templates(path) if path.exists() else ()


def check_answers(template: InspectionTemplate, answers: Sequence[Answer]) -> None:
    """Every answer names an item of the template once, with a value the item allows; every
    required item is answered."""
    seen: set[str] = set()
    for answer in answers:
        item = template.item(answer.item)
        if item is None:
            raise InspectionError(f"the {template.key} checklist has no item {answer.item!r}")
        if answer.item in seen:
            raise InspectionError(f"item {answer.item!r} is answered twice")
        seen.add(answer.item)
        allowed = item.allowed()
        if allowed and answer.value not in allowed:
            raise InspectionError(
                f"item {answer.item!r} takes one of {', '.join(allowed)}, not {answer.value!r}"
            )
    missing = [
        i.key
        for i in template.items
        if i.required and not any(a.item == i.key and a.value.strip() for a in answers)
    ]
    if missing:
        raise InspectionError("required items not answered: " + ", ".join(missing))


def check_findings(line: Line, findings: Sequence[Finding]) -> None:
    machines = {m.id for m in line.machines}
    for finding in findings:
        if finding.machine_id is not None and finding.machine_id not in machines:
            raise InspectionError(
                f"finding {finding.position}: machine {finding.machine_id!r}"
                f" is not in line {line.id!r}"
            )


@dataclass(frozen=True, slots=True)
class Recorded:
    inspection: Inspection
    created: bool


async def record_inspection(
    conn: Connection,
    *,
    draft: InspectionDraft,
    template: InspectionTemplate,
    line: Line,
    user: User,
    idempotency_key: str | None,
) -> Recorded:
    """Check and store an inspection; the same key again returns the first one."""
    check_answers(template, draft.answers)
    check_findings(line, draft.findings)
    async with conn.transaction():
        stored = await inspection_store.insert_inspection(
            conn, draft=draft, user_id=user.id, idempotency_key=idempotency_key
        )
    if stored is not None:
        return Recorded(stored, created=True)
    assert idempotency_key is not None  # only a repeated key stores nothing
    earlier = await inspection_store.inspection_for_key(
        conn, user_id=user.id, idempotency_key=idempotency_key
    )
    assert earlier is not None  # the conflicting row is committed
    return Recorded(earlier, created=False)


@dataclass(frozen=True, slots=True)
class FindingTicket:
    ticket: Ticket
    created: bool


async def ticket_for_finding(
    conn: Connection,
    *,
    plant: Plant,
    inspection: Inspection,
    position: int,
    user: User,
    now: datetime,
) -> FindingTicket | None:
    """Open a ticket for the finding, or return the one it opened before; None when the
    inspection has no such finding. The finding is locked, so two requests open one."""
    async with conn.transaction():
        finding = await inspection_store.lock_finding(
            conn, inspection_id=inspection.id, position=position
        )
        if finding is None:
            return None
        if finding.ticket_id is not None:
            ticket = await ticket_store.get_ticket(
                conn, ticket_id=finding.ticket_id, scope=EVERY_CUSTOMER
            )
            assert ticket is not None  # referenced by the finding
            return FindingTicket(ticket, created=False)
        if finding.machine_id is None:
            raise InspectionError("a ticket needs the machine the finding is about")
        request = TicketRequest(
            line_id=inspection.draft.line_id,
            machine_id=finding.machine_id,
            channel=Channel.MAINTENANCE_PLAN,
            ticket_type=TicketType.GENERAL_FAULT,
            severity=finding.severity,
            summary=f"Inspection finding: {_first_line(finding.description)}",
            symptoms=(
                f"Found in the {inspection.draft.template} inspection"
                f" #{inspection.id} by {inspection.draft.inspector}:\n{finding.description}"
            ),
        )
        try:
            registration = await register_request(
                conn, request=request, plant=plant, user=user, now=now, idempotency_key=None
            )
        except IntakeError as error:
            raise InspectionError(str(error)) from None
        await inspection_store.set_finding_ticket(
            conn, inspection_id=inspection.id, position=position, ticket_id=registration.ticket.id
        )
    return FindingTicket(registration.ticket, created=True)


def _first_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
