"""A served app keeps whom bearer credentials belong to, and forgets it the moment a
user or key changes, however the change was made (real PostgreSQL, LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from api.auth.credential_cache import CredentialCache
from api.auth.credential_changes import CHANNEL
from storage.connections import Pool
from storage.user_store import DEMO_PASSWORD, token_digest
from tests.api.conftest import SUPPORT

pytestmark = pytest.mark.integration

# The notification travels from the committing session to the app's listener.
HEARD_WITHIN_S = 5.0


async def _eventually(check: Callable[[], Awaitable[bool]]) -> bool:
    for _ in range(int(HEARD_WITHIN_S / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, so it listens for credential changes."""
    async with app.router.lifespan_context(app):
        cache: CredentialCache = app.state.credentials
        assert await _eventually(_const(lambda: cache.listening))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
            yield http


def _const(value: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return value()

    return check


def _support_digest() -> str:
    return token_digest(SUPPORT["Authorization"].removeprefix("Bearer "))


async def _status(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/api/v1/me", headers=headers)).status_code


async def test_a_key_revoked_in_sql_stops_working_in_the_served_app(
    served: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    assert await _status(served, SUPPORT) == 200  # now kept by the app
    async with seeded_pool.connection() as conn:
        await conn.execute(
            "UPDATE api_keys SET revoked_at = now()"
            " WHERE user_id = (SELECT id FROM users WHERE login = 'demo-support')"
        )

    async def refused() -> bool:
        return await _status(served, SUPPORT) == 401

    assert await _eventually(refused)


async def test_the_app_answers_from_what_it_kept_until_told_of_a_change(
    app: FastAPI, served: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    assert await _status(served, SUPPORT) == 200
    async with seeded_pool.connection() as conn:
        # Triggers do not fire for a replica's session: the revocation goes unheard ...
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            "UPDATE api_keys SET revoked_at = now()"
            " WHERE user_id = (SELECT id FROM users WHERE login = 'demo-support')"
        )
        await conn.execute("RESET session_replication_role")
    assert await _status(served, SUPPORT) == 200  # ... so the kept answer still stands
    assert app.state.credentials.key_holder(_support_digest()) is not None

    async with seeded_pool.connection() as conn:
        await conn.execute(f"NOTIFY {CHANNEL}")

    async def refused() -> bool:
        return await _status(served, SUPPORT) == 401

    assert await _eventually(refused)


async def test_a_role_changed_in_sql_reaches_a_jwt_at_once(
    served: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    token = await served.post(
        "/api/v1/token", json={"login": "demo-desk", "password": DEMO_PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await served.get("/api/v1/me", headers=bearer)).json()["role"] == "desk"
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE users SET role = 'support' WHERE login = 'demo-desk'")

    async def now_support() -> bool:
        me: dict[str, str] = (await served.get("/api/v1/me", headers=bearer)).json()
        return me["role"] == "support"

    assert await _eventually(now_support)


async def test_noting_a_keys_use_forgets_nothing(
    app: FastAPI, served: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    assert await _status(served, SUPPORT) == 200
    generation = app.state.credentials.generation
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE api_keys SET last_used_at = now() - interval '1 hour'")
    await asyncio.sleep(0.3)  # what a notification would have taken

    assert app.state.credentials.generation == generation


async def test_a_lost_listener_keeps_nothing_until_it_listens_again(
    app: FastAPI, served: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    cache: CredentialCache = app.state.credentials
    assert await _status(served, SUPPORT) == 200
    async with seeded_pool.connection() as conn:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query = %s AND pid <> pg_backend_pid()",
            (f"LISTEN {CHANNEL}",),
        )
    assert await _eventually(_const(lambda: not cache.listening))
    assert cache.key_holder(_support_digest()) is None

    assert await _eventually(_const(lambda: cache.listening))  # reconnected
    assert await _status(served, SUPPORT) == 200
    assert cache.key_holder(_support_digest()) is not None
