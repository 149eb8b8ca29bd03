"""Console sessions and the refresh tokens of API clients, kept as SHA-256 digests.

Both are 32 random bytes held by the client; the database decides whether they
still work (expiry, idle timeout, revocation), so signing out or revoking a
user takes effect at once in every API process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from models.users import User
from storage.connections import Connection
from storage.user_store import token_digest, user_of

_USER_COLUMNS = "users.id, users.login, users.display_name, users.role, users.customer_id"


async def create_session(
    conn: Connection,
    *,
    user_id: int,
    token: str,
    lifetime: timedelta,
    client_address: str | None,
) -> None:
    """Store a new session that ends after ``lifetime`` at the latest."""
    await conn.execute(
        """
        INSERT INTO sessions (user_id, token_sha256, expires_at, client_address)
        VALUES (%s, %s, now() + %s, %s)
        """,
        (user_id, token_digest(token), lifetime, client_address),
    )


async def user_of_session(conn: Connection, *, token: str, idle_timeout: timedelta) -> User | None:
    """The active user of a working session, or None: unknown, expired, idle too long,
    signed out or revoked. A use keeps the session from going idle (noted once a minute)."""
    cursor = await conn.execute(
        f"""
        SELECT {_USER_COLUMNS}, sessions.id,
               sessions.last_seen_at < now() - interval '1 minute'
        FROM sessions JOIN users ON users.id = sessions.user_id
        WHERE sessions.token_sha256 = %s AND sessions.revoked_at IS NULL
          AND sessions.expires_at > now() AND sessions.last_seen_at > now() - %s
          AND users.revoked_at IS NULL
        """,
        (token_digest(token), idle_timeout),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    if row[6]:
        await conn.execute("UPDATE sessions SET last_seen_at = now() WHERE id = %s", (row[5],))
    return user_of(row[:5])


async def end_session(conn: Connection, *, token: str) -> str | None:
    """Sign the session out; its user's login, or None when it was not working anyway."""
    cursor = await conn.execute(
        """
        UPDATE sessions SET revoked_at = now()
        FROM users
        WHERE sessions.token_sha256 = %s AND sessions.revoked_at IS NULL
          AND users.id = sessions.user_id
        RETURNING users.login
        """,
        (token_digest(token),),
    )
    row = await cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    """What presenting a refresh token found: the user, or why it was refused."""

    # The user to issue new tokens to; None when the token was refused.
    user: User | None
    # Whose token it was, also when it was refused, for the audit log.
    owner_login: str | None = None
    # True when the token had been used before: its whole family was revoked.
    reused: bool = False


async def create_refresh_token(
    conn: Connection,
    *,
    user_id: int,
    token: str,
    lifetime: timedelta,
    family: uuid.UUID | None = None,
) -> None:
    """Store a refresh token; a new family unless it replaces one of ``family``."""
    await conn.execute(
        """
        INSERT INTO refresh_tokens (user_id, family, token_sha256, expires_at)
        VALUES (%s, %s, %s, now() + %s)
        """,
        (user_id, family or uuid.uuid4(), token_digest(token), lifetime),
    )


async def use_refresh_token(
    conn: Connection, *, token: str, replacement: str, lifetime: timedelta
) -> RefreshOutcome:
    """Spend a refresh token and store ``replacement`` in its family.

    A token used before was copied or stolen: the whole family is revoked, so
    neither the thief nor the owner can go on refreshing (the owner signs in again).
    """
    cursor = await conn.execute(
        f"""
        SELECT {_USER_COLUMNS}, refresh_tokens.id, refresh_tokens.family,
               refresh_tokens.used_at IS NOT NULL,
               refresh_tokens.revoked_at IS NULL AND refresh_tokens.expires_at > now()
               AND users.revoked_at IS NULL
        FROM refresh_tokens JOIN users ON users.id = refresh_tokens.user_id
        WHERE refresh_tokens.token_sha256 = %s
        FOR UPDATE OF refresh_tokens
        """,
        (token_digest(token),),
    )
    row = await cursor.fetchone()
    if row is None:
        return RefreshOutcome(None)
    user, token_id, family, used, working = user_of(row[:5]), row[5], row[6], row[7], row[8]
    if used:
        await conn.execute(
            """
            UPDATE refresh_tokens SET revoked_at = now()
            WHERE family = %s AND revoked_at IS NULL
            """,
            (family,),
        )
        return RefreshOutcome(None, user.login, reused=True)
    if not working:
        return RefreshOutcome(None, user.login)
    await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = %s", (token_id,))
    await create_refresh_token(
        conn, user_id=user.id, token=replacement, lifetime=lifetime, family=family
    )
    return RefreshOutcome(user, user.login)


async def revoke_refresh_family(conn: Connection, *, token: str) -> str | None:
    """Revoke the family of a refresh token (an API client signing out); the login of
    its user, or None when nothing was left to revoke."""
    cursor = await conn.execute(
        """
        UPDATE refresh_tokens SET revoked_at = now()
        FROM users
        WHERE refresh_tokens.revoked_at IS NULL AND users.id = refresh_tokens.user_id
          AND refresh_tokens.family =
              (SELECT family FROM refresh_tokens WHERE token_sha256 = %s)
        RETURNING users.login
        """,
        (token_digest(token),),
    )
    rows = await cursor.fetchall()
    return rows[0][0] if rows else None
