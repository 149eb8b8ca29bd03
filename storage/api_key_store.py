"""API keys: machine-to-machine credentials, kept as SHA-256 digests.

A key is 32 random bytes, so an unsalted digest is as good as a slow hash here
and lets a request find its key with one indexed lookup. ``last_used_at`` is
written at most once a minute per key, so that busy clients do not turn every
read into a write.
"""

from __future__ import annotations

from datetime import datetime

from models.credentials import ApiKey, ApiKeyAccess, KeyGrant
from models.users import User
from storage.connections import Connection
from storage.user_store import token_digest, user_of

_KEY_COLUMNS = """
    api_keys.id, users.login, api_keys.name, api_keys.access, api_keys.customer_id,
    api_keys.personal, api_keys.created_at, api_keys.last_used_at, api_keys.revoked_at
"""
_USER_COLUMNS = "users.id, users.login, users.display_name, users.role, users.customer_id"


def _api_key(
    row: tuple[int, str, str, str, str | None, bool, datetime, datetime | None, datetime | None],
) -> ApiKey:
    return ApiKey(
        id=row[0],
        owner_login=row[1],
        name=row[2],
        access=ApiKeyAccess(row[3]),
        customer_id=row[4],
        personal=row[5],
        created_at=row[6],
        last_used_at=row[7],
        revoked_at=row[8],
    )


async def create_api_key(
    conn: Connection,
    *,
    user_id: int,
    name: str,
    key: str,
    access: ApiKeyAccess,
    customer_id: str | None,
    created_by: int | None = None,
    idempotency_key: str | None = None,
) -> ApiKey | None:
    """Store a new key of the user (only its digest); None when ``created_by`` created
    one with this ``idempotency_key`` before."""
    cursor = await conn.execute(
        f"""
        WITH created AS (
            INSERT INTO api_keys
                (user_id, name, key_sha256, access, customer_id, created_by, idempotency_key)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (created_by, idempotency_key) DO NOTHING
            RETURNING *
        )
        SELECT {_KEY_COLUMNS.replace("api_keys.", "created.")}
        FROM created JOIN users ON users.id = created.user_id
        """,
        (user_id, name, token_digest(key), str(access), customer_id, created_by, idempotency_key),
    )
    row = await cursor.fetchone()
    return _api_key(row) if row else None


async def find_by_idempotency_key(
    conn: Connection, *, created_by: int, idempotency_key: str
) -> ApiKey | None:
    """The key ``created_by`` created with this Idempotency-Key, if any."""
    cursor = await conn.execute(
        f"""
        SELECT {_KEY_COLUMNS} FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.created_by = %s AND api_keys.idempotency_key = %s
        """,
        (created_by, idempotency_key),
    )
    row = await cursor.fetchone()
    return _api_key(row) if row else None


async def list_api_keys(
    conn: Connection,
    *,
    owner_login: str | None = None,
    active_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[ApiKey]:
    """Every key, or one user's, newest first; ``active_only``: not the revoked ones."""
    cursor = await conn.execute(
        f"""
        SELECT {_KEY_COLUMNS} FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE (%(owner)s::text IS NULL OR users.login = %(owner)s)
          AND (NOT %(active_only)s OR api_keys.revoked_at IS NULL)
        ORDER BY api_keys.created_at DESC, api_keys.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"owner": owner_login, "active_only": active_only, "limit": limit, "offset": offset},
    )
    return [_api_key(row) for row in await cursor.fetchall()]


async def find_api_key(conn: Connection, *, key_id: int) -> ApiKey | None:
    cursor = await conn.execute(
        f"""
        SELECT {_KEY_COLUMNS} FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.id = %s
        """,
        (key_id,),
    )
    row = await cursor.fetchone()
    return _api_key(row) if row else None


async def revoke_api_key(conn: Connection, *, key_id: int) -> ApiKey | None:
    """Stop the key from working; a key revoked before keeps its first date."""
    await conn.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s", (key_id,)
    )
    return await find_api_key(conn, key_id=key_id)


async def sign_in_with_key(conn: Connection, *, key: str) -> tuple[User, KeyGrant] | None:
    """The active user a working key belongs to, with the key's limits; notes the use."""
    cursor = await conn.execute(
        f"""
        SELECT {_USER_COLUMNS}, api_keys.id, api_keys.access, api_keys.customer_id,
               api_keys.last_used_at IS NULL OR api_keys.last_used_at < now() - interval '1 minute'
        FROM api_keys JOIN users ON users.id = api_keys.user_id
        WHERE api_keys.key_sha256 = %s
          AND api_keys.revoked_at IS NULL AND users.revoked_at IS NULL
        """,
        (token_digest(key),),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    if row[8]:
        await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = %s", (row[5],))
    return user_of(row[:5]), KeyGrant(
        key_id=row[5], access=ApiKeyAccess(row[6]), customer_id=row[7]
    )
