"""The audit log: sign-ins, sign-outs and changes to accounts and credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.credentials import AuditEntry, AuditEvent, AuditRecord
from storage.connections import Connection


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to list; None fields do not filter."""

    event: AuditEvent | None = None
    login: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Keyset pagination: entries older than this id (the last id of the page before).
    before_id: int | None = None
    limit: int = 100


async def record(conn: Connection, entry: AuditRecord) -> None:
    """Append one entry; the caller's transaction decides whether it stays."""
    await conn.execute(
        """
        INSERT INTO audit_log (event, actor_login, subject_login, client_address, detail)
        VALUES (%s, %s, %s, %s, %s)
        """,
        (
            str(entry.event),
            entry.actor_login,
            entry.subject_login,
            entry.client_address,
            entry.detail,
        ),
    )


async def list_entries(conn: Connection, query: AuditFilter) -> list[AuditEntry]:
    """Entries matching ``query``, newest first; ``login`` matches actor or subject."""
    cursor = await conn.execute(
        """
        SELECT id, at, event, actor_login, subject_login, client_address, detail
        FROM audit_log
        WHERE (%(event)s::text IS NULL OR event = %(event)s)
          AND (%(login)s::text IS NULL OR subject_login = %(login)s OR actor_login = %(login)s)
          AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
          AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
          AND (%(before)s::bigint IS NULL OR id < %(before)s)
        ORDER BY id DESC
        LIMIT %(limit)s
        """,
        {
            "event": None if query.event is None else str(query.event),
            "login": query.login,
            "since": query.since,
            "until": query.until,
            "before": query.before_id,
            "limit": query.limit,
        },
    )
    return [
        AuditEntry(
            id=row[0],
            at=row[1],
            event=AuditEvent(row[2]),
            actor_login=row[3],
            subject_login=row[4],
            client_address=row[5],
            detail=row[6],
        )
        for row in await cursor.fetchall()
    ]
