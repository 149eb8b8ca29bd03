"""Labour and travel recorded on tickets, and what the costs read of tickets and reports.

Parts used come from the stock ledger (``storage.parts_usage_reader``); prices come from
the contract in the plant file. See docs/spare_parts.md, "Costs".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.service_costs import CostEntry, CostEntryDraft, ReportVisit
from storage.connections import Connection

_ENTRY_COLUMNS = (
    "id, ticket_id, work_date, engineer, labour_hours, travel_hours, travel_km, note,"
    " recorded_by, recorded_at"
)


@dataclass(frozen=True, slots=True)
class CostedTicketRecord:
    """What the cost figures group a ticket by."""

    ticket_id: int
    customer_id: str
    machine_id: str
    under_warranty: bool


async def add_entry(
    conn: Connection,
    *,
    ticket_id: int,
    draft: CostEntryDraft,
    recorded_by: str,
    recorded_at: datetime,
) -> CostEntry:
    cursor = await conn.execute(
        f"""
        INSERT INTO ticket_cost_entries (ticket_id, work_date, engineer, labour_hours,
            travel_hours, travel_km, note, recorded_by, recorded_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING {_ENTRY_COLUMNS}
        """,
        (
            ticket_id,
            draft.work_date,
            draft.engineer,
            draft.labour_hours,
            draft.travel_hours,
            draft.travel_km,
            draft.note,
            recorded_by,
            recorded_at,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None  # RETURNING always yields the row it wrote
    return _entry(row)


async def entries_of(conn: Connection, *, ticket_ids: Sequence[int]) -> list[CostEntry]:
    """The tickets' cost entries by work date, then as recorded."""
    cursor = await conn.execute(
        f"""
        SELECT {_ENTRY_COLUMNS} FROM ticket_cost_entries
        WHERE ticket_id = ANY(%s) ORDER BY work_date, id
        """,
        (list(ticket_ids),),
    )
    return [_entry(row) for row in await cursor.fetchall()]


async def report_visits(conn: Connection, *, ticket_ids: Sequence[int]) -> dict[int, ReportVisit]:
    """Arrival and restore times from each ticket's newest service report."""
    cursor = await conn.execute(
        """
        SELECT DISTINCT ON (ticket_id) ticket_id, arrived_at, restored_at
        FROM service_reports WHERE ticket_id = ANY(%s)
        ORDER BY ticket_id, version DESC
        """,
        (list(ticket_ids),),
    )
    return {row[0]: ReportVisit(row[1], row[2]) for row in await cursor.fetchall()}


async def tickets_with_costs(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    first_day: date,
    last_day: date,
    customer_id: str | None = None,
) -> list[CostedTicketRecord]:
    """Tickets with anything that costs in the range: a cost entry dated ``first_day`` to
    ``last_day``, a part booked or a newest service report's visit in ``[since, until)``.
    Only candidates: the items themselves are dated and cut by the caller."""
    cursor = await conn.execute(
        """
        SELECT t.id, t.customer_id, t.machine_id, t.under_warranty FROM tickets t
        WHERE (%(customer)s::text IS NULL OR t.customer_id = %(customer)s)
          AND (EXISTS (SELECT 1 FROM ticket_cost_entries c WHERE c.ticket_id = t.id
                       AND c.work_date BETWEEN %(first)s AND %(last)s)
               OR EXISTS (SELECT 1 FROM stock_movements m WHERE m.ticket_id = t.id
                          AND m.kind IN ('issue', 'return')
                          AND m.at >= %(since)s AND m.at < %(until)s)
               OR EXISTS (SELECT 1 FROM service_reports r WHERE r.ticket_id = t.id
                          AND r.arrived_at IS NOT NULL
                          AND coalesce(r.restored_at, r.arrived_at) >= %(since)s - interval '1 day'
                          AND r.arrived_at < %(until)s + interval '1 day'))
        ORDER BY t.id
        """,
        {
            "customer": customer_id,
            "first": first_day,
            "last": last_day,
            "since": since,
            "until": until,
        },
    )
    return [CostedTicketRecord(*row) for row in await cursor.fetchall()]


def _entry(row: tuple[Any, ...]) -> CostEntry:
    draft = CostEntryDraft(
        work_date=row[2],
        engineer=row[3],
        labour_hours=row[4],
        travel_hours=row[5],
        travel_km=row[6],
        note=row[7],
    )
    return CostEntry(
        id=row[0], ticket_id=row[1], draft=draft, recorded_by=row[8], recorded_at=row[9]
    )
