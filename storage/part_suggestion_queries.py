"""What the suggested parts are learned from and what they show: a machine model's
service history (each fault ticket's codes, signals and the parts its newest report
lists) and the stock of parts in every store, with what a ticket holds there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.part_suggestions import FaultSignature, ServiceRecord
from models.stock import StockLevel, Store, StoreKind
from storage.connections import Connection

# The ticket types whose parts say what fixes a fault (a spare part replacement too).
_FAULT_TYPES = ["emergency_repair", "general_fault", "spare_part"]


async def service_records(
    conn: Connection,
    *,
    machine_model: str,
    received_before: datetime | None = None,
    exclude_ticket_id: int | None = None,
) -> list[ServiceRecord]:
    """The model's fault tickets, oldest first, each with the PLC fault codes of the stops
    that reached it, its driving signals, and the parts of its newest report (in the
    report's order; empty without a report or parts). ``repaired_at``: the report's
    restore time, else when the ticket was received."""
    cursor = await conn.execute(
        """
        SELECT t.id, t.machine_id, t.machine_model, t.signals, t.received_at,
            coalesce(r.restored_at, t.received_at),
            coalesce((SELECT array_agg(DISTINCT e.new_value::integer) FROM ticket_events e
                      WHERE e.ticket_id = t.id AND e.kind = 'machine_stop'
                        AND e.field = 'fault_code' AND e.new_value ~ '^[0-9]{1,9}$'),
                     '{}'),
            coalesce((SELECT array_agg(p.part_number ORDER BY p.line_no)
                      FROM service_report_parts p
                      WHERE p.ticket_id = t.id AND p.version = r.version), '{}')
        FROM tickets t
        LEFT JOIN LATERAL (
            SELECT version, restored_at FROM service_reports s
            WHERE s.ticket_id = t.id ORDER BY version DESC LIMIT 1
        ) r ON true
        WHERE t.machine_model = %(model)s AND t.ticket_type = ANY(%(types)s)
          AND (%(before)s::timestamptz IS NULL OR t.received_at < %(before)s)
          AND (%(exclude)s::bigint IS NULL OR t.id <> %(exclude)s)
        ORDER BY t.received_at, t.id
        """,
        {
            "model": machine_model,
            "types": _FAULT_TYPES,
            "before": received_before,
            "exclude": exclude_ticket_id,
        },
    )
    return [
        ServiceRecord(
            ticket_id=row[0],
            machine_id=row[1],
            fault=FaultSignature(row[2], frozenset(row[6]), frozenset(row[3])),
            parts=tuple(dict.fromkeys(row[7])),
            received_at=row[4],
            repaired_at=max(row[5], row[4]),
        )
        for row in await cursor.fetchall()
    ]


@dataclass(frozen=True, slots=True)
class StoreLevel:
    """A part's level in a store, and how much of it one ticket holds reserved there."""

    store: Store
    level: StockLevel
    held_for_ticket: int


async def part_stock(
    conn: Connection, *, part_numbers: Sequence[str], ticket_id: int
) -> list[StoreLevel]:
    """Every store's level of the parts (stores without a level are left out)."""
    cursor = await conn.execute(
        """
        SELECT s.id, s.name, s.kind, s.region, s.owner_login,
            l.store_id, l.part_number, l.on_hand, l.reserved, l.faulty, l.safety_stock,
            l.reorder_point,
            coalesce((SELECT sum(m.reserved_delta) FROM stock_movements m
                      WHERE m.store_id = l.store_id AND m.part_number = l.part_number
                        AND m.ticket_id = %(ticket)s), 0)
        FROM stock_levels l JOIN stores s ON s.id = l.store_id
        WHERE l.part_number = ANY(%(parts)s)
        ORDER BY l.part_number, s.id
        """,
        {"parts": list(part_numbers), "ticket": ticket_id},
    )
    return [
        StoreLevel(
            Store(row[0], row[1], StoreKind(row[2]), row[3], row[4]),
            StockLevel(*row[5:12]),
            int(row[12]),
        )
        for row in await cursor.fetchall()
    ]


@dataclass(frozen=True, slots=True)
class TicketPartMovement:
    """A ticket's net holding or use of a part in a store, from the ledger: ``reserved``
    what it still holds reserved, ``issued`` what was issued on it (less returns of
    unused units is not tracked: a return is its own line)."""

    store: Store
    part_number: str
    reserved: int
    issued: int
    returned: int


async def ticket_part_movements(conn: Connection, *, ticket_id: int) -> list[TicketPartMovement]:
    """Per store and part, what the ticket holds reserved, and what was issued to and
    returned from it, from the ledger."""
    cursor = await conn.execute(
        """
        SELECT s.id, s.name, s.kind, s.region, s.owner_login, m.part_number,
            sum(m.reserved_delta),
            sum(m.quantity) FILTER (WHERE m.kind = 'issue'),
            sum(m.quantity) FILTER (WHERE m.kind = 'return')
        FROM stock_movements m JOIN stores s ON s.id = m.store_id
        WHERE m.ticket_id = %s
        GROUP BY s.id, s.name, s.kind, s.region, s.owner_login, m.part_number
        ORDER BY m.part_number, s.id
        """,
        (ticket_id,),
    )
    return [
        TicketPartMovement(
            Store(row[0], row[1], StoreKind(row[2]), row[3], row[4]),
            row[5],
            int(row[6] or 0),
            int(row[7] or 0),
            int(row[8] or 0),
        )
        for row in await cursor.fetchall()
    ]
