"""The sign-in rate limit, lockouts, and the audit log that records them (GET /api/audit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from models.users import Role
from settings.linecare_settings import Settings
from storage.connections import Pool
from storage.user_store import DEMO_PASSWORD, create_user
from tests.api.conftest import DESK, NORDBRAU
from tests.api.sign_in_factories import CSRF, sign_in

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer admin-token"}


@pytest.fixture
async def admin(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="admin",
            display_name="Administrator",
            role=Role.ADMIN,
            customer_id=None,
            token="admin-token",
        )


async def _token(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post("/api/token", json={"login": login, "password": password})


async def _audit(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/audit", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def test_five_failures_lock_the_login_even_for_the_right_password(
    client: httpx.AsyncClient, admin: None
) -> None:
    for _ in range(4):
        assert (await _token(client, "demo-desk", "wrong")).status_code == 401
    # The fifth failure locks the login, and says so.
    assert (await _token(client, "demo-desk", "wrong")).status_code == 429

    locked = await _token(client, "demo-desk", DEMO_PASSWORD)

    assert locked.status_code == 429
    assert 800 <= int(locked.headers["retry-after"]) <= 901
    assert "Too many failed sign-ins" in locked.json()["detail"]
    # Another login from the same address is not locked (the address limit is higher).
    assert (await _token(client, "demo-support", DEMO_PASSWORD)).status_code == 200
    entries = await _audit(client, login="demo-desk")
    events = [e["event"] for e in reversed(entries)]
    assert events == ["sign_in_failed"] * 5 + ["lockout", "sign_in_failed"]
    assert entries[0]["detail"].startswith("locked (login)")
    lockout = next(e for e in entries if e["event"] == "lockout")
    assert "after 5 failures" in lockout["detail"]
    assert entries[-1]["detail"] == "wrong password"


async def test_the_lock_holds_across_api_processes_and_ends_after_its_time(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> None:
    first, second = (create_app(settings, plant, pool=seeded_pool) for _ in range(2))
    for _ in range(5):
        await _client_post(first, "demo-desk", "wrong")

    assert await _client_post(second, "demo-desk", DEMO_PASSWORD) == 429
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE sign_in_lockouts SET locked_until = now()")
    assert await _client_post(second, "demo-desk", DEMO_PASSWORD) == 200


async def _client_post(app: FastAPI, login: str, password: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        return (await _token(http, login, password)).status_code


async def test_a_success_forgives_the_logins_earlier_failures(client: httpx.AsyncClient) -> None:
    for _ in range(4):
        await _token(client, "demo-desk", "wrong")
    assert (await _token(client, "demo-desk", DEMO_PASSWORD)).status_code == 200

    for _ in range(4):
        assert (await _token(client, "demo-desk", "wrong")).status_code == 401
    assert (await _token(client, "demo-desk", DEMO_PASSWORD)).status_code == 200


async def test_failures_outside_the_window_do_not_count(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    for _ in range(4):
        await _token(client, "demo-desk", "wrong")
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE sign_in_failures SET failed_at = now() - interval '16 minutes'")

    assert (await _token(client, "demo-desk", "wrong")).status_code == 401
    assert (await _token(client, "demo-desk", DEMO_PASSWORD)).status_code == 200


@pytest.fixture
async def strict_client(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> AsyncIterator[httpx.AsyncClient]:
    """An app that locks an address after three failures, whatever the logins."""
    strict = settings.model_copy(update={"sign_in_max_failures_per_address": 3})
    transport = httpx.ASGITransport(app=create_app(strict, plant, pool=seeded_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        yield http


async def test_many_logins_tried_from_one_address_lock_the_address(
    strict_client: httpx.AsyncClient, client: httpx.AsyncClient, admin: None
) -> None:
    for login in ("anna", "bert"):
        assert (await _token(strict_client, login, "guess")).status_code == 401
    assert (await _token(strict_client, "cora", "guess")).status_code == 429

    response = await _token(strict_client, "demo-desk", DEMO_PASSWORD)

    assert response.status_code == 429
    lockouts = await _audit(client, event="lockout")
    assert len(lockouts) == 1
    assert lockouts[0]["detail"].startswith("address ")
    failed = await _audit(client, login="anna")
    assert failed[0]["detail"] == "unknown or revoked login"


async def test_the_log_records_sign_in_sign_out_and_key_changes(
    client: httpx.AsyncClient, app: FastAPI, admin: None
) -> None:
    transport = httpx.ASGITransport(app=app)
    # https: the Secure session cookie travels only there.
    async with httpx.AsyncClient(transport=transport, base_url="https://linecare.test") as browser:
        await sign_in(browser, "demo-nordbrau")
        assert (await browser.post("/api/sign-out", headers=CSRF)).status_code == 204
    created = (await client.post("/api/api-keys", json={"name": "sync"}, headers=DESK)).json()
    await client.delete(f"/api/api-keys/{created['api_key']['id']}", headers=DESK)

    nordbrau = [(e["event"], e["detail"]) for e in await _audit(client, login="demo-nordbrau")]
    desk = [(e["event"], e["actor_login"]) for e in await _audit(client, login="demo-desk")]

    assert nordbrau == [("sign_out", "session"), ("sign_in", "session")]
    assert desk == [("api_key_revoked", "demo-desk"), ("api_key_created", "demo-desk")]


async def test_the_log_pages_newest_first(client: httpx.AsyncClient, admin: None) -> None:
    for _ in range(3):
        await _token(client, "demo-support", DEMO_PASSWORD)

    first = (await client.get("/api/audit?limit=2", headers=ADMIN)).json()
    rest = (
        await client.get(f"/api/audit?limit=2&before_id={first['next_before_id']}", headers=ADMIN)
    ).json()

    ids = [e["id"] for e in first["entries"] + rest["entries"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert rest["next_before_id"] is None


async def test_the_log_filters_by_event_and_time(client: httpx.AsyncClient, admin: None) -> None:
    await _token(client, "demo-support", DEMO_PASSWORD)
    await _token(client, "demo-support", "wrong")

    failed = await _audit(client, event="sign_in_failed")
    future = await _audit(client, since="2999-01-01T00:00:00Z")

    assert [e["event"] for e in failed] == ["sign_in_failed"]
    assert future == []


@pytest.mark.parametrize("headers", [DESK, NORDBRAU])
async def test_only_administrators_read_the_log(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/audit", headers=headers)

    assert response.status_code == 403
    assert "entries" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        "event=nonsense",
        "limit=0",
        "limit=501",
        "before_id=-1",
        "since=yesterday",
        "since=2026-01-01T00:00:00",
    ],
)
async def test_bad_filters_answer_422(client: httpx.AsyncClient, admin: None, query: str) -> None:
    response = await client.get(f"/api/audit?{query}", headers=ADMIN)

    assert response.status_code == 422
