"""Users of the API and console, found by the digest of their bearer token.

Tokens are never stored: only their SHA-256 digest is, and a lookup hashes the
presented token first. A revoked user keeps its row (the login stays taken) but
its token no longer signs in. The demo ships seven fixed, publicly known tokens.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import LiteralString

from models.users import DemoUser, Role, User, UserAccount
from storage.connections import Connection
from storage.engineer_store import seed_demo_profiles

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-support", "demo-support", "Support engineer (demo)", Role.SUPPORT),
    DemoUser("demo-desk", "demo-desk", "Service desk (demo)", Role.DESK),
    DemoUser("demo-nordbrau", "demo-nordbrau", "Nordbrau plant (demo)", Role.CUSTOMER, "nordbrau"),
    DemoUser(
        "demo-alpenpack", "demo-alpenpack", "Alpenpack plant (demo)", Role.CUSTOMER, "alpenpack"
    ),
    # Their skills and bases are seeded by ``engineer_store.seed_demo_profiles``.
    DemoUser("demo-field-1", "demo-field-1", "Field engineer Hamburg (demo)", Role.FIELD_ENGINEER),
    DemoUser("demo-field-2", "demo-field-2", "Field engineer Zurich (demo)", Role.FIELD_ENGINEER),
    DemoUser("demo-field-3", "demo-field-3", "Field engineer Munich (demo)", Role.FIELD_ENGINEER),
)

_COLUMNS = "id, login, display_name, role, customer_id"
_ACCOUNT_COLUMNS = f"{_COLUMNS}, created_at, revoked_at"


def token_digest(token: str) -> str:
    """The hex SHA-256 of a token, the only form in which tokens are kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: tuple[int, str, str, str, str | None]) -> User:
    return User(id=row[0], login=row[1], display_name=row[2], role=Role(row[3]), customer_id=row[4])


def _account(row: tuple[int, str, str, str, str | None, datetime, datetime | None]) -> UserAccount:
    return UserAccount(user=_user(row[:5]), created_at=row[5], revoked_at=row[6])


async def find_user_by_token(conn: Connection, *, token: str) -> User | None:
    """The user the bearer token belongs to, or None for an unknown or revoked token."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE token_sha256 = %s AND revoked_at IS NULL",
        (token_digest(token),),
    )
    row = await cursor.fetchone()
    return _user(row) if row else None


async def upsert_user(
    conn: Connection,
    *,
    login: str,
    display_name: str,
    role: Role,
    customer_id: str | None,
    token: str,
) -> User:
    """Create the user or replace its name, role, customer and token; revocation stays."""
    user = await _insert_user(
        conn,
        """DO UPDATE SET
            display_name = EXCLUDED.display_name, role = EXCLUDED.role,
            customer_id = EXCLUDED.customer_id, token_sha256 = EXCLUDED.token_sha256""",
        (login, display_name, str(role), customer_id, token_digest(token)),
    )
    assert user is not None  # RETURNING always yields the row it wrote
    return user


async def create_user(
    conn: Connection,
    *,
    login: str,
    display_name: str,
    role: Role,
    customer_id: str | None,
    token: str,
) -> User | None:
    """Create a new user; None when the login is taken, also by a revoked user."""
    return await _insert_user(
        conn, "DO NOTHING", (login, display_name, str(role), customer_id, token_digest(token))
    )


async def _insert_user(
    conn: Connection, on_taken_login: LiteralString, values: tuple[str | None, ...]
) -> User | None:
    """Insert a user, doing ``on_taken_login`` when the login exists; the row written."""
    cursor = await conn.execute(
        "INSERT INTO users (login, display_name, role, customer_id, token_sha256)"
        " VALUES (%s, %s, %s, %s, %s)"
        f" ON CONFLICT (login) {on_taken_login} RETURNING {_COLUMNS}",
        values,
    )
    row = await cursor.fetchone()
    return _user(row) if row else None


async def find_account(conn: Connection, *, login: str) -> UserAccount | None:
    """The user with this login, active or revoked, or None when there is none."""
    cursor = await conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM users WHERE login = %s", (login,))
    row = await cursor.fetchone()
    return _account(row) if row else None


async def list_accounts(conn: Connection) -> list[UserAccount]:
    """Every user, active or revoked, by login."""
    cursor = await conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM users ORDER BY login")
    return [_account(row) for row in await cursor.fetchall()]


async def revoke_user(conn: Connection, *, login: str) -> UserAccount | None:
    """Stop the user's token from signing in; a user revoked before keeps its first date."""
    cursor = await conn.execute(
        f"""
        UPDATE users SET revoked_at = coalesce(revoked_at, now())
        WHERE login = %s
        RETURNING {_ACCOUNT_COLUMNS}
        """,
        (login,),
    )
    row = await cursor.fetchone()
    return _account(row) if row else None


async def replace_token(conn: Connection, *, login: str, token: str) -> User | None:
    """Give an active user a new token, the old one stops working; None if unknown or revoked."""
    cursor = await conn.execute(
        f"""
        UPDATE users SET token_sha256 = %s
        WHERE login = %s AND revoked_at IS NULL
        RETURNING {_COLUMNS}
        """,
        (token_digest(token), login),
    )
    row = await cursor.fetchone()
    return _user(row) if row else None


async def seed_demo_users(conn: Connection) -> list[User]:
    """Create the demo accounts and the demo field engineers' profiles; the demo customers
    must be synced to the asset tables first."""
    async with conn.transaction():
        users = [
            await upsert_user(
                conn,
                login=demo.login,
                display_name=demo.display_name,
                role=demo.role,
                customer_id=demo.customer_id,
                token=demo.token,
            )
            for demo in DEMO_USERS
        ]
        await seed_demo_profiles(conn)
        return users


async def active_demo_users(conn: Connection) -> list[DemoUser]:
    """The demo accounts whose public token works in this database, for sign-in hints."""
    digests = [token_digest(demo.token) for demo in DEMO_USERS]
    cursor = await conn.execute(
        "SELECT token_sha256 FROM users WHERE token_sha256 = ANY(%s) AND revoked_at IS NULL",
        (digests,),
    )
    present = {row[0] for row in await cursor.fetchall()}
    return [demo for demo in DEMO_USERS if token_digest(demo.token) in present]
