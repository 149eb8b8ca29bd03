"""Service tickets in the database: registration with a unique number, re-grading, events, reads.

Numbers read ``LC-<year received>-<six digits>``; the digits come from one
sequence, so they are unique across years and never reused, even when a
registering transaction rolls back (that leaves a gap, which is acceptable).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.plant import Severity
from models.tickets import (
    Channel,
    Milestones,
    SlaDeadlines,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketStatus,
    TicketType,
    TicketWork,
)
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_COLUMNS = """
    id, number, status, customer_id, contract_number, contact_name, line_id, machine_id,
    machine_model, machine_serial, ticket_type, channel, severity, under_warranty, summary,
    symptoms, signals, received_at, response_due, arrival_due, resolution_due, alert_id,
    contact_phone, contact_email, special_requirements, expected_resolution,
    warranty_override_reason, counts_working_time, pauses_for_customer, created_by,
    resume_status, needs_change_approval, change_approved_by, responded_at, arrived_at,
    resolved_at, arrival_needed, escalated_at
"""
_EVENT_COLUMNS = "id, ticket_id, at, kind, note, actor, field, old_value, new_value"
_CUSTOMER_IN_SCOPE = scope_filter("customer", "customer_id")
_TICKET_IN_SCOPE = scope_filter("ticket", "ticket_id")


def ticket_number(year: int, sequence_value: int) -> str:
    return f"LC-{year}-{sequence_value:06d}"


async def register_ticket(conn: Connection, *, draft: TicketDraft, note: str) -> Ticket:
    """Store a draft as a registered ticket with a new number and a 'registered' event."""
    cursor = await conn.execute("SELECT nextval('ticket_number_seq')")
    row = await cursor.fetchone()
    assert row is not None  # nextval always returns a row
    number = ticket_number(draft.received_at.year, row[0])
    cursor = await conn.execute(
        """
        INSERT INTO tickets (number, status, customer_id, contract_number, contact_name,
            line_id, machine_id, machine_model, machine_serial, ticket_type, channel,
            severity, under_warranty, summary, symptoms, signals, received_at,
            response_due, arrival_due, resolution_due, alert_id, contact_phone, contact_email,
            special_requirements, expected_resolution, warranty_override_reason,
            counts_working_time, pauses_for_customer, created_by)
        VALUES (%(number)s, %(status)s, %(customer_id)s, %(contract_number)s,
            %(contact_name)s, %(line_id)s, %(machine_id)s, %(machine_model)s,
            %(machine_serial)s, %(ticket_type)s, %(channel)s, %(severity)s,
            %(under_warranty)s, %(summary)s, %(symptoms)s, %(signals)s, %(received_at)s,
            %(response_due)s, %(arrival_due)s, %(resolution_due)s, %(alert_id)s,
            %(contact_phone)s, %(contact_email)s, %(special_requirements)s,
            %(expected_resolution)s, %(warranty_override_reason)s, %(counts_working_time)s,
            %(pauses_for_customer)s, %(created_by)s)
        RETURNING id
        """,
        {
            "number": number,
            "status": TicketStatus.REGISTERED.value,
            "customer_id": draft.customer_id,
            "contract_number": draft.contract_number,
            "contact_name": draft.contact_name,
            "line_id": draft.line_id,
            "machine_id": draft.machine_id,
            "machine_model": draft.machine_model,
            "machine_serial": draft.machine_serial,
            "ticket_type": draft.ticket_type.value,
            "channel": draft.channel.value,
            "severity": draft.severity.value,
            "under_warranty": draft.under_warranty,
            "summary": draft.summary,
            "symptoms": draft.symptoms,
            "signals": list(draft.signals),
            "received_at": draft.received_at,
            "response_due": draft.deadlines.response_due,
            "arrival_due": draft.deadlines.arrival_due,
            "resolution_due": draft.deadlines.resolution_due,
            "alert_id": draft.alert_id,
            "contact_phone": draft.contact_phone,
            "contact_email": draft.contact_email,
            "special_requirements": draft.special_requirements,
            "expected_resolution": draft.expected_resolution,
            "warranty_override_reason": draft.warranty_override_reason,
            "counts_working_time": draft.counts_working_time,
            "pauses_for_customer": draft.pauses_for_customer,
            "created_by": draft.created_by,
        },
    )
    inserted = await cursor.fetchone()
    assert inserted is not None  # INSERT ... RETURNING of one row
    ticket_id = int(inserted[0])
    await append_event(
        conn,
        ticket_id=ticket_id,
        at=draft.received_at,
        kind="registered",
        note=note,
        actor=draft.created_by,
        field="status",
        new_value=TicketStatus.REGISTERED.value,
    )
    return Ticket(id=ticket_id, number=number, status=TicketStatus.REGISTERED, draft=draft)


async def append_event(
    conn: Connection,
    *,
    ticket_id: int,
    at: datetime,
    kind: str,
    note: str,
    actor: str | None = None,
    field: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
) -> TicketEvent:
    """Add an entry to a ticket's history: who (None: LineCare), and what changed from what."""
    cursor = await conn.execute(
        "INSERT INTO ticket_events (ticket_id, at, kind, note, actor, field, old_value, new_value)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_EVENT_COLUMNS}",
        (ticket_id, at, kind, note, actor, field, old_value, new_value),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT ... RETURNING of one row
    return _event(row)


async def lock_ticket(conn: Connection, *, ticket_id: int) -> Ticket | None:
    """Read a ticket and hold its row until the transaction ends, to change it safely.

    A ticket raised by an alert is locked after that alert's row, never before.
    """
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE id = %s FOR UPDATE", (ticket_id,)
    )
    row = await cursor.fetchone()
    return _ticket(row) if row else None


async def regrade_ticket(
    conn: Connection,
    *,
    ticket_id: int,
    old_severity: Severity,
    severity: Severity,
    ticket_type: TicketType,
    at: datetime,
    kind: str,
    note: str,
) -> None:
    """Set a ticket's grade and type, and record it in its history with why (``note``);
    its SLA deadlines stay as opened."""
    await conn.execute(
        "UPDATE tickets SET severity = %s, ticket_type = %s WHERE id = %s",
        (severity.value, ticket_type.value, ticket_id),
    )
    await append_event(
        conn,
        ticket_id=ticket_id,
        at=at,
        kind=kind,
        note=note,
        field="severity",
        old_value=old_severity.value,
        new_value=severity.value,
    )


async def list_tickets(
    conn: Connection,
    *,
    scope: CustomerScope,
    limit: int = 100,
    offset: int = 0,
    machine_id: str | None = None,
    engineer: str | None = None,
) -> list[Ticket]:
    """The scope's tickets newest first; of one machine only, and only those currently
    dispatched to one field engineer, when given."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM tickets
        WHERE {_CUSTOMER_IN_SCOPE}
          AND (%(machine_id)s::text IS NULL OR machine_id = %(machine_id)s)
          AND (%(engineer)s::text IS NULL OR EXISTS (
              SELECT 1 FROM ticket_assignments a WHERE a.ticket_id = tickets.id
                AND a.engineer_login = %(engineer)s AND a.released_at IS NULL))
        ORDER BY received_at DESC, id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            **scope.params,
            "machine_id": machine_id,
            "engineer": engineer,
            "limit": limit,
            "offset": offset,
        },
    )
    return [_ticket(row) for row in await cursor.fetchall()]


async def open_tickets(
    conn: Connection, *, line_ids: Sequence[str], scope: CustomerScope
) -> list[Ticket]:
    """The scope's tickets of these lines that are not archived yet, oldest first."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM tickets
        WHERE line_id = ANY(%(lines)s) AND status <> 'archived' AND {_CUSTOMER_IN_SCOPE}
        ORDER BY received_at, id
        """,
        {"lines": list(line_ids), **scope.params},
    )
    return [_ticket(row) for row in await cursor.fetchall()]


async def get_ticket(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> Ticket | None:
    """The ticket; None when it does not exist or is another customer's than the scope's."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM tickets WHERE id = %(ticket)s AND {_CUSTOMER_IN_SCOPE}",
        {"ticket": ticket_id, **scope.params},
    )
    row = await cursor.fetchone()
    return _ticket(row) if row else None


async def ticket_events(
    conn: Connection, *, ticket_id: int, scope: CustomerScope
) -> list[TicketEvent]:
    """A ticket's history, oldest first; empty for a ticket outside the scope."""
    cursor = await conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM ticket_events"
        f" WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE} ORDER BY at, id",
        {"ticket": ticket_id, **scope.params},
    )
    return [_event(row) for row in await cursor.fetchall()]


def _event(row: tuple[Any, ...]) -> TicketEvent:
    return TicketEvent(
        id=row[0],
        ticket_id=row[1],
        at=row[2],
        kind=row[3],
        note=row[4],
        actor=row[5],
        field=row[6],
        old_value=row[7],
        new_value=row[8],
    )


def _ticket(row: tuple[Any, ...]) -> Ticket:
    draft = TicketDraft(
        customer_id=row[3],
        contract_number=row[4],
        contact_name=row[5],
        line_id=row[6],
        machine_id=row[7],
        machine_model=row[8],
        machine_serial=row[9],
        ticket_type=TicketType(row[10]),
        channel=Channel(row[11]),
        severity=Severity(row[12]),
        under_warranty=row[13],
        summary=row[14],
        symptoms=row[15],
        signals=tuple(row[16]),
        received_at=row[17],
        deadlines=SlaDeadlines(response_due=row[18], arrival_due=row[19], resolution_due=row[20]),
        alert_id=row[21],
        contact_phone=row[22],
        contact_email=row[23],
        special_requirements=row[24],
        expected_resolution=row[25],
        warranty_override_reason=row[26],
        counts_working_time=row[27],
        pauses_for_customer=row[28],
        created_by=row[29],
    )
    work = TicketWork(
        resume_status=TicketStatus(row[30]) if row[30] else None,
        needs_change_approval=row[31],
        change_approved_by=row[32],
        milestones=Milestones(
            responded_at=row[33], arrived_at=row[34], resolved_at=row[35], arrival_needed=row[36]
        ),
        escalated_at=row[37],
    )
    return Ticket(id=row[0], number=row[1], status=TicketStatus(row[2]), draft=draft, work=work)
