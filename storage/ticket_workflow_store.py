"""A ticket's progress in the database: status moves, milestones, pauses, approval, notices.

Callers lock the ticket first (``ticket_store.lock_ticket``) and record the
audit entry with ``ticket_store.append_event`` in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from models.intervals import Interval
from models.tickets import MachineStop, Milestones, SlaClockKind, Span, TicketStatus
from storage.connections import Connection


async def set_status(
    conn: Connection,
    *,
    ticket_id: int,
    status: TicketStatus,
    resume_status: TicketStatus | None,
    milestones: Milestones,
) -> None:
    """Store a ticket's new status, where to resume after waiting, and its milestones."""
    await conn.execute(
        """
        UPDATE tickets SET status = %(status)s, resume_status = %(resume)s,
            responded_at = %(responded)s, arrived_at = %(arrived)s,
            resolved_at = %(resolved)s, arrival_needed = %(arrival_needed)s
        WHERE id = %(id)s
        """,
        {
            "id": ticket_id,
            "status": status.value,
            "resume": resume_status.value if resume_status else None,
            "responded": milestones.responded_at,
            "arrived": milestones.arrived_at,
            "resolved": milestones.resolved_at,
            "arrival_needed": milestones.arrival_needed,
        },
    )


async def start_pause(conn: Connection, *, ticket_id: int, at: datetime) -> None:
    """The ticket starts waiting for the customer (at most one open pause per ticket)."""
    await conn.execute(
        "INSERT INTO ticket_pauses (ticket_id, started_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (ticket_id, at),
    )


async def end_pause(conn: Connection, *, ticket_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE ticket_pauses SET ended_at = greatest(%s, started_at)"
        " WHERE ticket_id = %s AND ended_at IS NULL",
        (at, ticket_id),
    )


async def pauses_of(conn: Connection, *, ticket_ids: Sequence[int]) -> dict[int, list[Span]]:
    """The stretches each ticket spent waiting for the customer, oldest first."""
    cursor = await conn.execute(
        "SELECT ticket_id, started_at, ended_at FROM ticket_pauses"
        " WHERE ticket_id = ANY(%s) ORDER BY ticket_id, started_at",
        (list(ticket_ids),),
    )
    pauses: dict[int, list[Span]] = defaultdict(list)
    for ticket_id, started, ended in await cursor.fetchall():
        pauses[ticket_id].append(Span(started, ended))
    return dict(pauses)


async def set_change_approval(
    conn: Connection, *, ticket_id: int, needed: bool, approved_by: str | None
) -> None:
    """Whether the ticket changes the line's structure, and who approved it (None: nobody)."""
    await conn.execute(
        "UPDATE tickets SET needs_change_approval = %s, change_approved_by = %s WHERE id = %s",
        (needed, approved_by, ticket_id),
    )


async def record_notice(
    conn: Connection, *, ticket_id: int, clock: SlaClockKind, kind: str, at: datetime
) -> bool:
    """Record an SLA warning or breach once; False when it had been recorded before."""
    cursor = await conn.execute(
        "INSERT INTO ticket_sla_notices (ticket_id, clock, kind, at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (ticket_id, clock.value, kind, at),
    )
    return cursor.rowcount == 1


async def mark_escalated(conn: Connection, *, ticket_id: int, at: datetime) -> None:
    """The first breach escalates the ticket; later ones keep the first time."""
    await conn.execute(
        "UPDATE tickets SET escalated_at = coalesce(escalated_at, %s) WHERE id = %s",
        (at, ticket_id),
    )


async def ticket_for_key(conn: Connection, *, user_id: int, key: str) -> int | None:
    """The ticket a creation with this idempotency key made, if it was made before."""
    cursor = await conn.execute(
        "SELECT ticket_id FROM ticket_idempotency_keys WHERE user_id = %s AND key = %s",
        (user_id, key),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else None


async def remember_key(conn: Connection, *, user_id: int, key: str, ticket_id: int) -> bool:
    """Tie the key to the ticket; False when a concurrent request took the key first."""
    cursor = await conn.execute(
        "INSERT INTO ticket_idempotency_keys (user_id, key, ticket_id) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (user_id, key, ticket_id),
    )
    return cursor.rowcount == 1


async def open_tickets_of_machines(
    conn: Connection, *, machine_ids: Sequence[str], closed: Sequence[TicketStatus]
) -> list[int]:
    """Ids of the machines' tickets not in ``closed`` states, oldest first."""
    cursor = await conn.execute(
        "SELECT id FROM tickets WHERE machine_id = ANY(%s) AND NOT status = ANY(%s)"
        " ORDER BY received_at, id",
        (list(machine_ids), [s.value for s in closed]),
    )
    return [int(row[0]) for row in await cursor.fetchall()]


async def breakdowns(
    conn: Connection, *, machine_ids: Sequence[str], since: datetime, until: datetime
) -> list[Interval]:
    """The machines' breakdown stops overlapping ``[since, until)``, for warranty extension."""
    cursor = await conn.execute(
        "SELECT started, ended FROM downtime_events"
        " WHERE machine_id = ANY(%s) AND category = 'breakdown'"
        " AND started < %s AND ended > %s ORDER BY started",
        (list(machine_ids), until, since),
    )
    return [Interval(start, end) for start, end in await cursor.fetchall()]


async def breakdown_stops(
    conn: Connection, *, machine_lines: dict[str, str], since: datetime, until: datetime
) -> list[MachineStop]:
    """Breakdowns of these machines (id -> line id) starting in ``[since, until)``, in order."""
    cursor = await conn.execute(
        "SELECT machine_id, started, max(ended), max(fault_code), min(reason)"
        " FROM downtime_events WHERE machine_id = ANY(%s) AND category = 'breakdown'"
        " AND started >= %s AND started < %s GROUP BY machine_id, started ORDER BY started",
        (list(machine_lines), since, until),
    )
    return [
        MachineStop(machine, machine_lines[machine], started, ended, code, reason)
        for machine, started, ended, code, reason in await cursor.fetchall()
    ]


async def claim_stop(conn: Connection, *, ticket_id: int, stop: MachineStop) -> bool:
    """Note that the stop reached the ticket; False when it had reached it before."""
    cursor = await conn.execute(
        "INSERT INTO ticket_stops (ticket_id, machine_id, started) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (ticket_id, stop.machine_id, stop.started),
    )
    return cursor.rowcount == 1


async def claimed_stop_starts(
    conn: Connection, *, ticket_id: int, machine_id: str
) -> set[datetime]:
    """When the machine's stops that reached the ticket began."""
    cursor = await conn.execute(
        "SELECT started FROM ticket_stops WHERE ticket_id = %s AND machine_id = %s",
        (ticket_id, machine_id),
    )
    return {row[0] for row in await cursor.fetchall()}
