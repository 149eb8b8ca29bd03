"""Alerts in the database: open, refresh, raise the grade, close, reopen, link to a ticket, list.

The schema allows one open alert per machine and rule (a unique partial index);
``open_alert`` and ``reopen_alert`` lean on it so that two cycles racing for the
same anomaly open it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.errors import UniqueViolation

from models.alerts import Alert, AlertStatus
from models.plant import Severity
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_COLUMNS = """
    a.id, a.machine_id, a.rule, a.severity, a.status, a.opened_at, a.last_seen_at,
    a.peak_score, a.signals, a.message, a.ticket_id, a.raised_at
"""
_CUSTOMER_IN_SCOPE = scope_filter("customer", "c.id")


async def open_alert(
    conn: Connection,
    *,
    machine_id: str,
    rule: str,
    severity: Severity,
    opened_at: datetime,
    raised_at: datetime,
    last_seen_at: datetime,
    peak_score: float,
    signals: Sequence[str],
    message: str,
) -> Alert | None:
    """Open an alert; None when the machine already has one open under this rule.

    A concurrent transaction opening the same alert makes this one wait for it
    and then return None, so callers never get two.
    """
    cursor = await conn.execute(
        f"""
        INSERT INTO alerts AS a (machine_id, rule, severity, status, opened_at, raised_at,
                                 last_seen_at, peak_score, signals, message)
        VALUES (%s, %s, %s, 'open', %s, %s, %s, %s, %s, %s)
        ON CONFLICT (machine_id, rule) WHERE status = 'open' DO NOTHING
        RETURNING {_COLUMNS}
        """,
        (
            machine_id,
            rule,
            severity.value,
            opened_at,
            raised_at,
            last_seen_at,
            peak_score,
            list(signals),
            message,
        ),
    )
    row = await cursor.fetchone()
    return _alert(row) if row else None


async def find_open_alert(conn: Connection, *, machine_id: str, rule: str) -> Alert | None:
    """The machine's open alert under ``rule``, if any."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM alerts a"
        " WHERE a.machine_id = %s AND a.rule = %s AND a.status = 'open'",
        (machine_id, rule),
    )
    row = await cursor.fetchone()
    return _alert(row) if row else None


async def lock_alert(conn: Connection, *, alert_id: int) -> Alert | None:
    """Read an alert and hold its row until the transaction ends; None if there is none.

    Take it before the alert's ticket: the alert cycle locks alert, then ticket.
    """
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM alerts a WHERE a.id = %s FOR UPDATE", (alert_id,)
    )
    row = await cursor.fetchone()
    return _alert(row) if row else None


async def refresh_alert(
    conn: Connection,
    *,
    alert_id: int,
    last_seen_at: datetime,
    peak_score: float,
    signals: Sequence[str],
    message: str,
) -> bool:
    """Bring an open alert up to date; the peak never goes down. False if it is not open."""
    cursor = await conn.execute(
        """
        UPDATE alerts SET last_seen_at = GREATEST(last_seen_at, %s),
                          peak_score = GREATEST(peak_score, %s),
                          signals = %s, message = %s
        WHERE id = %s AND status = 'open'
        """,
        (last_seen_at, peak_score, list(signals), message, alert_id),
    )
    return cursor.rowcount == 1


async def raise_severity(conn: Connection, *, alert_id: int, severity: Severity) -> bool:
    """Raise an open alert to ``severity`` if that is worse; True only for the raise itself.

    The grade never goes down, like the peak. Compared in the UPDATE so that of
    racing cycles exactly one sees True and re-grades the alert's ticket.
    """
    cursor = await conn.execute(
        """
        UPDATE alerts SET severity = %(severity)s
        WHERE id = %(alert_id)s AND status = 'open'
          AND array_position(%(grades)s::text[], %(severity)s::text)
              > array_position(%(grades)s::text[], severity)
        """,
        {
            "severity": severity.value,
            "alert_id": alert_id,
            # Mildest first: Severity is declared in grade order.
            "grades": [grade.value for grade in Severity],
        },
    )
    return cursor.rowcount == 1


async def close_alert(conn: Connection, *, alert_id: int) -> bool:
    """Close an open alert; False when it was already closed (by a concurrent cycle)."""
    cursor = await conn.execute(
        "UPDATE alerts SET status = 'closed' WHERE id = %s AND status = 'open'",
        (alert_id,),
    )
    return cursor.rowcount == 1


async def latest_closed_alert(conn: Connection, *, machine_id: str, rule: str) -> Alert | None:
    """The machine's closed alert under ``rule`` that was anomalous most recently, if any."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM alerts a"
        " WHERE a.machine_id = %s AND a.rule = %s AND a.status = 'closed'"
        " ORDER BY a.last_seen_at DESC, a.id DESC LIMIT 1",
        (machine_id, rule),
    )
    row = await cursor.fetchone()
    return _alert(row) if row else None


async def reopen_alert(conn: Connection, *, alert_id: int, opened_at: datetime) -> Alert | None:
    """Open a closed alert again, from ``opened_at`` if that is earlier; else None.

    None when it is open already (a concurrent cycle reopened it) or when the
    machine has another alert open under its rule: a racing cycle opened one.
    """
    try:
        # A savepoint, so that losing the race leaves the caller's transaction usable.
        async with conn.transaction():
            cursor = await conn.execute(
                f"""
                UPDATE alerts AS a SET status = 'open', opened_at = LEAST(a.opened_at, %s)
                WHERE a.id = %s AND a.status = 'closed'
                RETURNING {_COLUMNS}
                """,
                (opened_at, alert_id),
            )
            row = await cursor.fetchone()
    except UniqueViolation:
        return None
    return _alert(row) if row else None


async def link_ticket(conn: Connection, *, alert_id: int, ticket_id: int) -> None:
    """Record the ticket an alert opened."""
    await conn.execute("UPDATE alerts SET ticket_id = %s WHERE id = %s", (ticket_id, alert_id))


async def list_alerts(
    conn: Connection,
    *,
    scope: CustomerScope,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[Alert]:
    """Alerts of the scope's machines, newest first."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS}
        FROM alerts a
        JOIN machines m ON m.id = a.machine_id
        JOIN lines l ON l.id = m.line_id
        JOIN sites s ON s.id = l.site_id
        JOIN customers c ON c.id = s.customer_id
        WHERE {_CUSTOMER_IN_SCOPE}
          AND (NOT %(open_only)s OR a.status = 'open')
        ORDER BY a.opened_at DESC, a.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {**scope.params, "open_only": open_only, "limit": limit, "offset": offset},
    )
    return [_alert(row) for row in await cursor.fetchall()]


def _alert(row: tuple[Any, ...]) -> Alert:
    return Alert(
        id=row[0],
        machine_id=row[1],
        rule=row[2],
        severity=Severity(row[3]),
        status=AlertStatus(row[4]),
        opened_at=row[5],
        last_seen_at=row[6],
        peak_score=row[7],
        signals=tuple(row[8]),
        message=row[9],
        ticket_id=row[10],
        raised_at=row[11],
    )
