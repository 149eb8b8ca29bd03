"""Bearer tokens: who is signed in, and clear 401s for everyone else."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from models.users import Role
from settings.linecare_settings import Settings
from storage.connections import Pool
from storage.user_store import (
    find_user_by_token,
    seed_demo_users,
    token_digest,
    upsert_user,
)
from tests.api.conftest import NORDBRAU, SUPPORT

pytestmark = pytest.mark.integration


async def test_without_token_answers_401_with_a_hint(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/lines")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Basic ZGVtbzpkZW1v", "Bearer", "demo-support"]
)
async def test_bad_credentials_answer_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_me_describes_a_customer_user(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me", headers=NORDBRAU)
    assert response.status_code == 200
    assert response.json() == {
        "login": "demo-nordbrau",
        "display_name": "Nordbrau plant (demo)",
        "role": "customer",
        "customer_id": "nordbrau",
        "customer_name": "Nordbrau GmbH",
    }


async def test_me_describes_a_staff_user(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/me", headers=SUPPORT)).json()
    assert (body["role"], body["customer_id"], body["customer_name"]) == ("support", None, None)


async def test_only_a_digest_of_the_token_is_stored(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT key_sha256 FROM api_keys JOIN users ON users.id = api_keys.user_id"
            " WHERE login = 'demo-desk'"
        )
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == token_digest("demo-desk") != "demo-desk"


async def test_upsert_replaces_the_token(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        for token in ("first-token", "second-token"):
            await upsert_user(
                conn,
                login="admin",
                display_name="Administrator",
                role=Role.ADMIN,
                customer_id=None,
                token=token,
            )
        assert await find_user_by_token(conn, token="first-token") is None
        user = await find_user_by_token(conn, token="second-token")
    assert user is not None
    assert (user.login, user.role, user.customer_id) == ("admin", Role.ADMIN, None)


async def test_demo_tokens_are_offered_when_seeded(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/sign-in/demo-tokens")
    assert response.status_code == 200
    assert [d["token"] for d in response.json()] == [
        "demo-support",
        "demo-desk",
        "demo-nordbrau",
        "demo-alpenpack",
        "demo-field-1",
        "demo-field-2",
        "demo-field-3",
    ]


async def test_no_demo_tokens_without_demo_users(
    settings: Settings, plant: Plant, assets_pool: Pool
) -> None:
    app: FastAPI = create_app(settings, plant, pool=assets_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        response = await http.get("/api/sign-in/demo-tokens")
    assert response.json() == []


async def test_seeding_demo_users_twice_keeps_seven(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        users = await seed_demo_users(conn)
        cursor = await conn.execute("SELECT count(*) FROM users")
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == 7
    assert [(u.role, u.customer_id) for u in users] == [
        (Role.SUPPORT, None),
        (Role.DESK, None),
        (Role.CUSTOMER, "nordbrau"),
        (Role.CUSTOMER, "alpenpack"),
        (Role.FIELD_ENGINEER, None),
        (Role.FIELD_ENGINEER, None),
        (Role.FIELD_ENGINEER, None),
    ]
