"""Retention of the history kept beside telemetry: dead letters, PLC events, anomaly scores, stops.

Each table keeps rows for its own period (launcher settings): dead letters only
while someone may still look into a parsing fault; PLC events and anomaly
scores as long as the telemetry they explain; stops longer, because the OEE
reports' loss Pareto is compared year on year. Anomaly scores are a hypertable
and go chunk by chunk (``drop_chunks``); the others are plain tables and go by
a time-ordered DELETE in batches, each committed, so no run holds long locks.

A ticket that is not archived holds its machine's PLC events and stops from
``ticket_evidence`` before it was received to ``ticket_evidence`` after: the
engineers and the internal review read them as the fault's evidence. Anomaly
scores are not held: they expire with the telemetry they were computed from,
and the ticket and its alert keep the figures that raised it.

The evidence frozen on automatic tickets (``ticket_evidence``: trends, shares,
outlook, alarms, stops, OEE) holds none of these tables' rows, nor telemetry:
it is a copy. It is kept while its ticket is not archived and for
``ticket_evidence`` after the archiving, then deleted like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import LiteralString

from psycopg import sql

from models.tickets import TicketStatus
from storage.connections import Connection


@dataclass(frozen=True, slots=True)
class HistoryRetention:
    """How long each history table keeps its rows."""

    dead_letters: timedelta
    plc_events: timedelta
    anomaly_scores: timedelta
    downtime_events: timedelta
    ticket_evidence: timedelta
    # Rows deleted per transaction.
    batch_size: int


@dataclass(frozen=True, slots=True)
class HistoryPruned:
    """What one run removed: rows, and chunks of the anomaly-score hypertable."""

    dead_letters: int
    plc_events: int
    downtime_events: int
    anomaly_score_chunks: int
    ticket_evidence: int = 0


# Rows are picked by ctid (their physical address) because downtime_events has no
# single-column key; the ctid of a row updated meanwhile no longer matches, and
# the row waits for the next batch.
_DELETE_DEAD_LETTERS = """
DELETE FROM dead_letters WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM dead_letters
    WHERE received_at < now() - %(keep)s::interval
    LIMIT %(batch)s))
"""


def _delete_outside_ticket_evidence(table: str, time_column: str) -> sql.Composed:
    """A batch of a machine's history rows past retention and near no open ticket."""
    return sql.SQL("""
DELETE FROM {table} WHERE ctid = ANY(ARRAY(
    SELECT h.ctid FROM {table} h
    WHERE h.{time} < now() - %(keep)s::interval
      AND NOT EXISTS (
          SELECT 1 FROM tickets t
          WHERE t.machine_id = h.machine_id AND t.status <> %(archived)s
            AND h.{time} BETWEEN t.received_at - %(evidence)s::interval
                             AND t.received_at + %(evidence)s::interval)
    LIMIT %(batch)s))
""").format(table=sql.Identifier(table), time=sql.Identifier(time_column))


# Archived when the ticket last moved to archived (else when it was resolved, or received).
_DELETE_RELEASED_EVIDENCE = """
DELETE FROM ticket_evidence WHERE id = ANY(ARRAY(
    SELECT e.id FROM ticket_evidence e JOIN tickets t ON t.id = e.ticket_id
    WHERE t.status = %(archived)s
      AND coalesce(
              (SELECT max(v.at) FROM ticket_events v
               WHERE v.ticket_id = t.id AND v.field = 'status' AND v.new_value = %(archived)s),
              t.resolved_at, t.received_at)
          < now() - %(keep)s::interval
    LIMIT %(batch)s))
"""

_DELETE_PLC_EVENTS = _delete_outside_ticket_evidence("plc_events", "time")
# By shift: the Pareto reads whole shifts, so a shift's stops go together.
_DELETE_DOWNTIME_EVENTS = _delete_outside_ticket_evidence("downtime_events", "shift_start")


async def prune_history(conn: Connection, policy: HistoryRetention) -> HistoryPruned:
    """Remove what has outlived its retention from every history table."""
    return HistoryPruned(
        dead_letters=await _delete_in_batches(
            conn, _DELETE_DEAD_LETTERS, policy.dead_letters, policy
        ),
        plc_events=await _delete_in_batches(conn, _DELETE_PLC_EVENTS, policy.plc_events, policy),
        downtime_events=await _delete_in_batches(
            conn, _DELETE_DOWNTIME_EVENTS, policy.downtime_events, policy
        ),
        anomaly_score_chunks=await _drop_anomaly_score_chunks(conn, policy.anomaly_scores),
        ticket_evidence=await _delete_in_batches(
            conn, _DELETE_RELEASED_EVIDENCE, policy.ticket_evidence, policy
        ),
    )


async def _delete_in_batches(
    conn: Connection,
    statement: LiteralString | sql.Composed,
    keep: timedelta,
    policy: HistoryRetention,
) -> int:
    params = {
        "keep": keep,
        "evidence": policy.ticket_evidence,
        "archived": TicketStatus.ARCHIVED.value,
        "batch": policy.batch_size,
    }
    deleted = 0
    while True:
        cursor = await conn.execute(statement, params)
        await conn.commit()
        deleted += cursor.rowcount
        if cursor.rowcount < policy.batch_size:
            return deleted


async def _drop_anomaly_score_chunks(conn: Connection, keep: timedelta) -> int:
    cursor = await conn.execute(
        "SELECT count(*) FROM drop_chunks('anomaly_scores', older_than => now() - %s::interval)",
        (keep,),
    )
    row = await cursor.fetchone()
    await conn.commit()
    return int(row[0]) if row else 0
