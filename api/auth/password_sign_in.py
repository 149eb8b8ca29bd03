"""Checking a login and password under the rate limit, with every outcome audited.

Failures are counted per login and per client address in the database
(storage/sign_in_limit_store.py); reaching the limit locks the login or the
address for a while, and a locked one is refused before its password is even
checked. Every outcome is written to the audit log and committed at once, so a
refusal (raised as an HTTP error, which rolls the request's work back) cannot
erase the record of itself.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from api.auth.passwords import password_matches
from models.credentials import AuditEvent, AuditRecord, SignInPolicy
from models.users import User
from storage import audit_store, sign_in_limit_store
from storage.connections import Connection
from storage.sign_in_limit_store import LockSubject
from storage.user_store import password_hash_of

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """Wrong login or password (``locked_until`` None), or a lockout in force."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("sign-in refused")
        self.locked_until = locked_until


async def check_password(
    conn: Connection,
    policy: SignInPolicy,
    *,
    login: str,
    password: str,
    client_address: str,
    purpose: str,
) -> User:
    """The user if the password is right and nothing is locked; else SignInRefused.

    ``purpose`` (session or token) goes into the audit entry of a success.
    """
    await sign_in_limit_store.serialize_attempts(conn, login=login)
    lock = await sign_in_limit_store.active_lock(conn, login=login, client_address=client_address)
    if lock is not None:
        await _refuse(
            conn, login, client_address, f"locked ({lock.kind}) until {lock.until:%H:%M:%S %Z}"
        )
        raise SignInRefused(locked_until=lock.until)
    found = await password_hash_of(conn, login=login)
    password_hash = found[1] if found else None
    # argon2 takes a tenth of a second: off the event loop.
    if found is not None and await asyncio.to_thread(password_matches, password_hash, password):
        await sign_in_limit_store.forgive_login(conn, login=login)
        await audit_store.record(
            conn,
            AuditRecord(
                AuditEvent.SIGN_IN,
                subject_login=login,
                actor_login=login,
                client_address=client_address,
                detail=purpose,
            ),
        )
        return found[0]
    if found is None:
        await asyncio.to_thread(password_matches, None, password)  # same time as a wrong one
        reason = "unknown or revoked login"
    else:
        reason = "no password set" if password_hash is None else "wrong password"
    locked_until = await _count_failure(conn, policy, login, client_address, reason)
    raise SignInRefused(locked_until=locked_until)


async def _count_failure(
    conn: Connection, policy: SignInPolicy, login: str, client_address: str, reason: str
) -> datetime | None:
    """Record the failure, lock what reached its limit; when the new lock ends, if any."""
    per_login, per_address = await sign_in_limit_store.note_failure(
        conn, login=login, client_address=client_address, window=policy.failure_window
    )
    await audit_store.record(
        conn,
        AuditRecord(
            AuditEvent.SIGN_IN_FAILED,
            subject_login=login,
            client_address=client_address,
            detail=reason,
        ),
    )
    locked_until = None
    for kind, count, limit, subject in (
        (LockSubject.LOGIN, per_login, policy.max_failures_per_login, login),
        (LockSubject.ADDRESS, per_address, policy.max_failures_per_address, client_address),
    ):
        if count < limit:
            continue
        locked_until = await sign_in_limit_store.lock(
            conn, kind=kind, subject=subject, duration=policy.lockout
        )
        detail = (
            f"{kind} {subject!r} locked after {count} failures until {locked_until:%H:%M:%S %Z}"
        )
        log.warning("sign-in lockout: %s", detail)
        await audit_store.record(
            conn,
            AuditRecord(
                AuditEvent.LOCKOUT,
                subject_login=login,
                client_address=client_address,
                detail=detail,
            ),
        )
    await conn.commit()
    return locked_until


async def _refuse(conn: Connection, login: str, client_address: str, reason: str) -> None:
    await audit_store.record(
        conn,
        AuditRecord(
            AuditEvent.SIGN_IN_FAILED,
            subject_login=login,
            client_address=client_address,
            detail=reason,
        ),
    )
    await conn.commit()
