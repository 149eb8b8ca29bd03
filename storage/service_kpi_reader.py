"""What the service KPIs read of tickets: their record, moves, engineers, reports, surveys.

One query per kind of fact over the tickets a period can touch, never one per
ticket. A ticket can touch a period when it was received before the period's
end and either was received at most 31 days before its start (a repeat fault
looks back 30 days), is open (not fixed: it may be in the backlog), was resolved
since the start, or had anything happen to it since the start (a move, a survey,
a complaint).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.service_kpis import FIXED_STATES
from models.tickets import Span, Ticket, TicketStatus
from storage import ticket_workflow_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

# The ticket store's own column list and row mapping, so a ticket reads the same everywhere.
from storage.ticket_store import _COLUMNS as TICKET_COLUMNS
from storage.ticket_store import _ticket as ticket_of_row

_CUSTOMER_IN_SCOPE = scope_filter("customer", "customer_id")
_KNOWN_STATUSES = frozenset(status.value for status in TicketStatus)


@dataclass(frozen=True, slots=True)
class StatusMove:
    at: datetime
    source: TicketStatus | None
    target: TicketStatus


@dataclass(frozen=True, slots=True)
class AssignedEngineer:
    login: str
    display_name: str


@dataclass(frozen=True, slots=True)
class TicketServiceHistory:
    """A ticket and what happened to it, as the KPIs need it."""

    ticket: Ticket
    waits: tuple[Span, ...] = ()
    moves: tuple[StatusMove, ...] = ()
    # The first PLC fault code a stop added to the ticket.
    fault_code: int | None = None
    engineers: tuple[AssignedEngineer, ...] = ()
    # From the newest version of the service report.
    failure_at: datetime | None = None
    restored_at: datetime | None = None
    survey_answered_at: datetime | None = None
    survey_overall: int | None = None


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    registered_at: datetime
    customer_id: str
    ticket_id: int | None


async def ticket_histories(
    conn: Connection, *, since: datetime, until: datetime, scope: CustomerScope
) -> list[TicketServiceHistory]:
    """The scope's tickets that can touch ``[since, until)``."""
    cursor = await conn.execute(
        f"""
        SELECT {TICKET_COLUMNS} FROM tickets
        WHERE received_at < %(until)s
          AND {_CUSTOMER_IN_SCOPE}
          AND (received_at >= %(since)s - interval '31 days'
               OR NOT status = ANY(%(fixed)s) OR resolved_at >= %(since)s
               OR EXISTS (SELECT 1 FROM ticket_events e
                          WHERE e.ticket_id = tickets.id AND e.at >= %(since)s)
               OR EXISTS (SELECT 1 FROM ticket_surveys s
                          WHERE s.ticket_id = tickets.id AND s.answered_at >= %(since)s)
               OR EXISTS (SELECT 1 FROM complaints c
                          WHERE c.ticket_id = tickets.id AND c.registered_at >= %(since)s))
        ORDER BY received_at, id
        """,
        {
            "since": since,
            "until": until,
            "fixed": [status.value for status in FIXED_STATES],
            **scope.params,
        },
    )
    tickets = [ticket_of_row(row) for row in await cursor.fetchall()]
    ids = [t.id for t in tickets]
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=ids)
    moves = await _moves(conn, ids)
    codes = await _fault_codes(conn, ids)
    engineers = await _engineers(conn, ids)
    reports = await _report_times(conn, ids)
    surveys = await _surveys(conn, ids)
    return [
        TicketServiceHistory(
            ticket=t,
            waits=tuple(waits.get(t.id, ())),
            moves=tuple(moves.get(t.id, ())),
            fault_code=codes.get(t.id),
            engineers=tuple(engineers.get(t.id, ())),
            failure_at=reports.get(t.id, (None, None))[0],
            restored_at=reports.get(t.id, (None, None))[1],
            survey_answered_at=surveys.get(t.id, (None, None))[0],
            survey_overall=surveys.get(t.id, (None, None))[1],
        )
        for t in tickets
    ]


async def complaints_between(
    conn: Connection, *, since: datetime, until: datetime, scope: CustomerScope
) -> list[ComplaintRecord]:
    """The scope's complaints registered in ``[since, until)``."""
    cursor = await conn.execute(
        f"""
        SELECT registered_at, customer_id, ticket_id FROM complaints
        WHERE registered_at >= %(since)s AND registered_at < %(until)s
          AND {_CUSTOMER_IN_SCOPE}
        ORDER BY registered_at, id
        """,
        {"since": since, "until": until, **scope.params},
    )
    return [
        ComplaintRecord(at, customer, ticket) for at, customer, ticket in await cursor.fetchall()
    ]


async def _moves(conn: Connection, ids: Sequence[int]) -> dict[int, list[StatusMove]]:
    cursor = await conn.execute(
        "SELECT ticket_id, at, old_value, new_value FROM ticket_events"
        " WHERE ticket_id = ANY(%s) AND field = 'status' AND new_value IS NOT NULL"
        " ORDER BY ticket_id, at, id",
        (list(ids),),
    )
    moves: dict[int, list[StatusMove]] = defaultdict(list)
    for ticket_id, at, old, new in await cursor.fetchall():
        if new not in _KNOWN_STATUSES:
            continue  # a status this release does not know counts as no move
        source = TicketStatus(old) if old in _KNOWN_STATUSES else None
        moves[ticket_id].append(StatusMove(at, source, TicketStatus(new)))
    return moves


async def _fault_codes(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    cursor = await conn.execute(
        "SELECT DISTINCT ON (ticket_id) ticket_id, new_value FROM ticket_events"
        " WHERE ticket_id = ANY(%s) AND field = 'fault_code' AND new_value ~ '^[0-9]{1,9}$'"
        " ORDER BY ticket_id, at, id",
        (list(ids),),
    )
    return {ticket_id: int(code) for ticket_id, code in await cursor.fetchall()}


async def _engineers(conn: Connection, ids: Sequence[int]) -> dict[int, list[AssignedEngineer]]:
    """Engineers who hold the ticket now or accepted it before it went back to the desk."""
    cursor = await conn.execute(
        "SELECT DISTINCT a.ticket_id, a.engineer_login, u.display_name"
        " FROM ticket_assignments a JOIN users u ON u.login = a.engineer_login"
        " WHERE a.ticket_id = ANY(%s) AND (a.released_at IS NULL OR a.accepted_at IS NOT NULL)"
        " ORDER BY a.ticket_id, a.engineer_login",
        (list(ids),),
    )
    engineers: dict[int, list[AssignedEngineer]] = defaultdict(list)
    for ticket_id, login, name in await cursor.fetchall():
        engineers[ticket_id].append(AssignedEngineer(login, name))
    return engineers


async def _report_times(
    conn: Connection, ids: Sequence[int]
) -> dict[int, tuple[datetime | None, datetime | None]]:
    cursor = await conn.execute(
        "SELECT DISTINCT ON (ticket_id) ticket_id, failure_at, restored_at FROM service_reports"
        " WHERE ticket_id = ANY(%s) ORDER BY ticket_id, version DESC",
        (list(ids),),
    )
    return {
        ticket_id: (failure, restored) for ticket_id, failure, restored in await cursor.fetchall()
    }


async def _surveys(
    conn: Connection, ids: Sequence[int]
) -> dict[int, tuple[datetime | None, int | None]]:
    cursor = await conn.execute(
        "SELECT ticket_id, answered_at, overall FROM ticket_surveys WHERE ticket_id = ANY(%s)",
        (list(ids),),
    )
    return {ticket_id: (at, int(overall)) for ticket_id, at, overall in await cursor.fetchall()}
