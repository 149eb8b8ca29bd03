"""Users of the API and console: accounts, roles, password hashes and personal tokens.

Secrets are never stored in a form that signs in: passwords only as argon2
hashes (made by the caller, api/auth/passwords.py), tokens only as their SHA-256
digest. A user's "token" of the early days is its personal API key
(storage/api_key_store.py): ``create_user(..., token=...)`` still issues one, so
scripts keep working with ``Authorization: Bearer <token>``. A revoked user keeps
its row (the login stays taken) but signs in no more, by any credential.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
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

# Every demo user signs in with this password (README, "Demo sign-in"); it is as
# public as the demo tokens. Its argon2 hash is fixed here so that seeding costs
# no hashing: the salt need not be secret for a password everybody knows.
DEMO_PASSWORD = "linecare-demo"
DEMO_PASSWORD_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$pnzaEv9s6mY2CDiPzjd/sg$"
    "7zIuPU/6/Fp/e0MvA6XizGlLKknD89FbzRrKn5JPgMY"
)

_COLUMNS = "users.id, users.login, users.display_name, users.role, users.customer_id"
_ACCOUNT_COLUMNS = f"{_COLUMNS}, users.created_at, users.revoked_at"
_PERSONAL_KEY_NAME = "personal token"


def token_digest(token: str) -> str:
    """The hex SHA-256 of a token, the only form in which tokens are kept."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def user_of(row: tuple[int, str, str, str, str | None]) -> User:
    """A user from the five columns of ``_COLUMNS``; other stores select them too."""
    return User(id=row[0], login=row[1], display_name=row[2], role=Role(row[3]), customer_id=row[4])


def _account(row: tuple[int, str, str, str, str | None, datetime, datetime | None]) -> UserAccount:
    return UserAccount(user=user_of(row[:5]), created_at=row[5], revoked_at=row[6])


async def find_user_by_token(conn: Connection, *, token: str) -> User | None:
    """The active user whose working API key this is, or None (see api_key_store for scope)."""
    cursor = await conn.execute(
        f"""
        SELECT {_COLUMNS} FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.key_sha256 = %s
          AND api_keys.revoked_at IS NULL AND users.revoked_at IS NULL
        """,
        (token_digest(token),),
    )
    row = await cursor.fetchone()
    return user_of(row) if row else None


async def find_active_user(conn: Connection, *, user_id: int) -> User | None:
    """The user with this id unless it is unknown or revoked."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE id = %s AND revoked_at IS NULL", (user_id,)
    )
    row = await cursor.fetchone()
    return user_of(row) if row else None


async def upsert_user(
    conn: Connection,
    *,
    login: str,
    display_name: str,
    role: Role,
    customer_id: str | None,
    token: str,
    password_hash: str | None = None,
) -> User:
    """Create the user or replace its name, role, customer and token; revocation stays.

    A password hash given here is set only where the user has none, so a
    re-seeded demo keeps a password someone changed.
    """
    user = await _insert_user(
        conn,
        """DO UPDATE SET
            display_name = EXCLUDED.display_name, role = EXCLUDED.role,
            customer_id = EXCLUDED.customer_id,
            password_hash = coalesce(users.password_hash, EXCLUDED.password_hash)""",
        (login, display_name, str(role), customer_id, password_hash),
    )
    assert user is not None  # RETURNING always yields the row it wrote
    await _set_personal_key(conn, user_id=user.id, token=token)
    return user


async def create_user(
    conn: Connection,
    *,
    login: str,
    display_name: str,
    role: Role,
    customer_id: str | None,
    token: str | None = None,
    password_hash: str | None = None,
) -> User | None:
    """Create a new user, with a personal token if one is given; None when the login is
    taken, also by a revoked user."""
    user = await _insert_user(
        conn, "DO NOTHING", (login, display_name, str(role), customer_id, password_hash)
    )
    if user is not None and token is not None:
        await _set_personal_key(conn, user_id=user.id, token=token)
    return user


async def _insert_user(
    conn: Connection, on_taken_login: LiteralString, values: tuple[str | None, ...]
) -> User | None:
    """Insert a user, doing ``on_taken_login`` when the login exists; the row written."""
    cursor = await conn.execute(
        "INSERT INTO users (login, display_name, role, customer_id, password_hash,"
        " password_changed_at)"
        " VALUES (%s, %s, %s, %s, %s, CASE WHEN %s::text IS NULL THEN NULL ELSE now() END)"
        f" ON CONFLICT (login) {on_taken_login} RETURNING {_COLUMNS}",
        (*values, values[-1]),
    )
    row = await cursor.fetchone()
    return user_of(row) if row else None


async def _set_personal_key(conn: Connection, *, user_id: int, token: str) -> None:
    """Make ``token`` the user's one working personal key; a former one stops working."""
    digest = token_digest(token)
    await conn.execute(
        """
        UPDATE api_keys SET revoked_at = now()
        WHERE user_id = %s AND personal AND revoked_at IS NULL AND key_sha256 <> %s
        """,
        (user_id, digest),
    )
    await conn.execute(
        """
        INSERT INTO api_keys (user_id, name, key_sha256, personal)
        VALUES (%s, %s, %s, true)
        ON CONFLICT (key_sha256) DO UPDATE SET revoked_at = NULL
        WHERE api_keys.user_id = EXCLUDED.user_id AND api_keys.personal
        """,
        (user_id, _PERSONAL_KEY_NAME, digest),
    )


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
    """Stop the user from signing in; a user revoked before keeps its first date.

    Its sessions and refresh tokens end too; its API keys stay as they are but
    sign in no one while the user is revoked.
    """
    cursor = await conn.execute(
        f"""
        UPDATE users SET revoked_at = coalesce(revoked_at, now())
        WHERE login = %s
        RETURNING {_ACCOUNT_COLUMNS}
        """,
        (login,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    account = _account(row)
    await end_sign_ins(conn, user_id=account.user.id)
    return account


async def replace_token(conn: Connection, *, login: str, token: str) -> User | None:
    """Give an active user a new personal token, the old one stops working; None if
    unknown or revoked."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE login = %s AND revoked_at IS NULL", (login,)
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    user = user_of(row)
    await _set_personal_key(conn, user_id=user.id, token=token)
    return user


async def end_sign_ins(conn: Connection, *, user_id: int) -> None:
    """End the user's console sessions and refresh tokens; access tokens die within minutes."""
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
        (user_id,),
    )
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
        (user_id,),
    )


async def password_hash_of(conn: Connection, *, login: str) -> tuple[User, str | None] | None:
    """The active user with this login and its password hash (None: no password yet)."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS}, password_hash FROM users WHERE login = %s AND revoked_at IS NULL",
        (login,),
    )
    row = await cursor.fetchone()
    return (user_of(row[:5]), row[5]) if row else None


async def set_password_hash(conn: Connection, *, login: str, password_hash: str) -> User | None:
    """Replace the active user's password; its sessions and refresh tokens end, since
    a new password usually means the old one was known to someone else."""
    cursor = await conn.execute(
        f"""
        UPDATE users SET password_hash = %s, password_changed_at = now()
        WHERE login = %s AND revoked_at IS NULL
        RETURNING {_COLUMNS}
        """,
        (password_hash, login),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    user = user_of(row)
    await end_sign_ins(conn, user_id=user.id)
    return user


async def seed_demo_users(conn: Connection) -> list[User]:
    """Create the demo accounts (token and the demo password) and the demo field
    engineers' profiles; the demo customers must be synced to the asset tables first."""
    async with conn.transaction():
        users = [
            await upsert_user(
                conn,
                login=demo.login,
                display_name=demo.display_name,
                role=demo.role,
                customer_id=demo.customer_id,
                token=demo.token,
                password_hash=DEMO_PASSWORD_HASH,
            )
            for demo in DEMO_USERS
        ]
        await seed_demo_profiles(conn)
        return users


async def active_demo_users(conn: Connection) -> list[DemoUser]:
    """The demo accounts whose public token works in this database, for sign-in hints."""
    digests = [token_digest(demo.token) for demo in DEMO_USERS]
    cursor = await conn.execute(
        """
        SELECT api_keys.key_sha256 FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.key_sha256 = ANY(%s)
          AND api_keys.revoked_at IS NULL AND users.revoked_at IS NULL
        """,
        (digests,),
    )
    present = {row[0] for row in await cursor.fetchall()}
    return [demo for demo in DEMO_USERS if token_digest(demo.token) in present]


async def people_named(conn: Connection, *, logins: Collection[str]) -> dict[str, User]:
    """The accounts of these logins, by login, for the names of the people tickets and
    their records name by login. A login without a readable account (gone, or on a
    customer's connection another company's person) is missing from the answer."""
    cursor = await conn.execute(
        "SELECT users.id, users.login, users.display_name, users.role, users.customer_id"
        " FROM users WHERE users.login = ANY(%s)",
        (sorted(set(logins)),),
    )
    return {row[1]: user_of(row) for row in await cursor.fetchall()}
