"""The sign-in rate limit's memory: failed password sign-ins and the lockouts they caused.

Kept in the database, so the limit holds across API processes and restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storage.connections import Connection


class LockSubject(StrEnum):
    LOGIN = "login"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Lock:
    kind: LockSubject
    until: datetime


async def active_lock(conn: Connection, *, login: str, client_address: str) -> Lock | None:
    """The lockout in force on this login or this address, the one ending last."""
    cursor = await conn.execute(
        """
        SELECT subject_kind, locked_until FROM sign_in_lockouts
        WHERE locked_until > now()
          AND ((subject_kind = 'login' AND subject = %s)
               OR (subject_kind = 'address' AND subject = %s))
        ORDER BY locked_until DESC LIMIT 1
        """,
        (login, client_address),
    )
    row = await cursor.fetchone()
    return Lock(LockSubject(row[0]), row[1]) if row else None


async def serialize_attempts(conn: Connection, *, login: str) -> None:
    """Take a transaction lock on the login, so concurrent attempts count one by one."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sign-in:' || %s))", (login,))


async def note_failure(
    conn: Connection, *, login: str, client_address: str, window: timedelta
) -> tuple[int, int]:
    """Record a failure; the failures within ``window`` since the last lockout, for the
    login (since its last successful sign-in too) and for the address."""
    await conn.execute(
        "INSERT INTO sign_in_failures (login, client_address) VALUES (%s, %s)",
        (login, client_address),
    )
    cursor = await conn.execute(
        """
        SELECT
            (SELECT count(*) FROM sign_in_failures
             WHERE login = %(login)s AND failed_at > now() - %(window)s
               AND failed_at > coalesce(
                   (SELECT max(locked_at) FROM sign_in_lockouts
                    WHERE subject_kind = 'login' AND subject = %(login)s), '-infinity')
               AND counts_for_login),
            (SELECT count(*) FROM sign_in_failures
             WHERE client_address = %(address)s AND failed_at > now() - %(window)s
               AND failed_at > coalesce(
                   (SELECT max(locked_at) FROM sign_in_lockouts
                    WHERE subject_kind = 'address' AND subject = %(address)s), '-infinity'))
        """,
        {"login": login, "address": client_address, "window": window},
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always yields a row
    return int(row[0]), int(row[1])


async def forgive_login(conn: Connection, *, login: str) -> None:
    """After a successful sign-in, the login's earlier failures no longer count against
    it (they still count against the addresses they came from)."""
    await conn.execute(
        "UPDATE sign_in_failures SET counts_for_login = false"
        " WHERE login = %s AND counts_for_login",
        (login,),
    )


async def lock(
    conn: Connection, *, kind: LockSubject, subject: str, duration: timedelta
) -> datetime:
    """Lock the login or address for ``duration``; when the lock ends."""
    cursor = await conn.execute(
        """
        INSERT INTO sign_in_lockouts (subject_kind, subject, locked_until)
        VALUES (%s, %s, now() + %s) RETURNING locked_until
        """,
        (str(kind), subject, duration),
    )
    row = await cursor.fetchone()
    assert row is not None
    until: datetime = row[0]
    return until
