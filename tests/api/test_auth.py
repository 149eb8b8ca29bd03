"""Bearer credentials (API keys and JWT access tokens with refresh): who is signed in,
and clear 401s for everyone else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from api.auth.access_tokens import issue_access_token
from models.plant import Plant
from models.users import Role
from settings.linecare_settings import Settings
from storage.connections import Pool
from storage.user_store import (
    DEMO_PASSWORD,
    find_user_by_token,
    revoke_user,
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


# JWT access tokens and refresh tokens (POST /api/token, /api/token/refresh).


async def _pair(client: httpx.AsyncClient, login: str = "demo-desk") -> dict[str, Any]:
    response = await client.post("/api/token", json={"login": login, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_pair_signs_in_with_a_short_lived_jwt(client: httpx.AsyncClient) -> None:
    pair = await _pair(client)

    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900
    assert pair["access_token"].count(".") == 2
    assert pair["refresh_token"].count(".") == 0
    me = await client.get("/api/me", headers=_bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["login"] == "demo-desk"


async def test_a_wrong_password_gets_no_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/token", json={"login": "demo-desk", "password": "nope"})

    assert response.status_code == 401
    assert "access_token" not in response.text


async def test_an_expired_access_token_answers_401(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        user = await find_user_by_token(conn, token="demo-desk")
    assert user is not None
    expired = issue_access_token(
        app.state.token_secret,
        user_id=user.id,
        now=datetime.now(UTC) - timedelta(minutes=16),
        lifetime=timedelta(minutes=15),
    )
    fresh = issue_access_token(
        app.state.token_secret,
        user_id=user.id,
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=15),
    )

    response = await client.get("/api/me", headers=_bearer(expired))

    assert response.status_code == 401
    assert "/api/v1/token/refresh" in response.json()["detail"]
    assert (await client.get("/api/me", headers=_bearer(fresh))).status_code == 200


async def test_a_token_signed_with_another_secret_answers_401(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    forged = issue_access_token(
        b"x" * 32, user_id=1, now=datetime.now(UTC), lifetime=timedelta(minutes=15)
    )

    assert (await client.get("/api/me", headers=_bearer(forged))).status_code == 401


async def test_a_configured_secret_is_shared_by_several_api_processes(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> None:
    shared = settings.model_copy(update={"jwt_secret": SecretStr("s" * 40)})
    apps = [create_app(shared, plant, pool=seeded_pool) for _ in range(2)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://linecare.test")
        for a in apps
    ]
    async with clients[0] as first, clients[1] as second:
        pair = await _pair(first)
        response = await second.get("/api/me", headers=_bearer(pair["access_token"]))
    assert response.status_code == 200


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    first = await _pair(client)

    second = await client.post("/api/token/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/me", headers=_bearer(rotated["access_token"]))
    ).status_code == 200

    replay = await client.post("/api/token/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # The replay revoked the family: the newest refresh token, too, works no more.
    after = await client.post(
        "/api/token/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute("SELECT event FROM audit_log ORDER BY id")
        events = [row[0] for row in await cursor.fetchall()]
    assert events == ["sign_in", "token_refreshed", "refresh_reused"]


async def test_an_unrelated_sign_in_keeps_working_after_a_family_is_revoked(
    client: httpx.AsyncClient,
) -> None:
    stolen = await _pair(client)
    other = await _pair(client)
    await client.post("/api/token/refresh", json={"refresh_token": stolen["refresh_token"]})
    await client.post("/api/token/refresh", json={"refresh_token": stolen["refresh_token"]})

    response = await client.post(
        "/api/token/refresh", json={"refresh_token": other["refresh_token"]}
    )

    assert response.status_code == 200


async def test_an_expired_refresh_token_answers_401(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    pair = await _pair(client)
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")

    response = await client.post(
        "/api/token/refresh", json={"refresh_token": pair["refresh_token"]}
    )

    assert response.status_code == 401


async def test_revoking_a_refresh_token_ends_it(client: httpx.AsyncClient) -> None:
    pair = await _pair(client)

    revoked = await client.post("/api/token/revoke", json={"refresh_token": pair["refresh_token"]})
    refresh = await client.post("/api/token/refresh", json={"refresh_token": pair["refresh_token"]})

    assert revoked.status_code == 204
    assert refresh.status_code == 401


async def test_a_revoked_user_loses_access_tokens_at_once(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    pair = await _pair(client)
    async with seeded_pool.connection() as conn:
        await revoke_user(conn, login="demo-desk")

    assert (await client.get("/api/me", headers=_bearer(pair["access_token"]))).status_code == 401
    refresh = await client.post("/api/token/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


async def test_customers_stay_confined_with_a_jwt(client: httpx.AsyncClient) -> None:
    pair = await _pair(client, "demo-nordbrau")
    headers = _bearer(pair["access_token"])

    lines = (await client.get("/api/lines", headers=headers)).json()
    foreign = await client.get("/api/lines/line-3", headers=headers)

    assert [line["id"] for line in lines] == ["line-1", "line-2"]
    assert foreign.status_code == 404


# Malformed credentials: a clear 401 (or 4xx), never a 500.


@pytest.mark.parametrize(
    "header",
    [
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwidHlwIjoiYWNjZXNzIiwiZXhwIjo5OTk5OTk5OTk5fQ.",
        "Bearer ....",
        "Bearer %%%.!!!.***",
        "Bearer " + "A" * 10_000,
        "Bearer " + "a." * 2 + "b" * 50_000,
        "Basic !!!not-base64!!!",
        "Bearer \u00e9\u00e8.\u00e0.x",
    ],
)
async def test_malformed_credentials_answer_401(client: httpx.AsyncClient, header: str) -> None:
    # Sent as raw bytes: UTF-8 in a header is not ASCII, and must not upset anything.
    response = await client.get("/api/me", headers={b"Authorization": header.encode("utf-8")})

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "cookie", ["linecare_session=", "linecare_session=" + "x" * 8000, "linecare_session=a.b.c"]
)
async def test_malformed_session_cookies_answer_401(client: httpx.AsyncClient, cookie: str) -> None:
    response = await client.get("/api/me", headers={"Cookie": cookie})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"login": "demo-desk"},
        {"login": "x" * 300, "password": "y"},
        {"login": "demo-desk", "password": "p" * 2000},
        {"login": ["demo-desk"], "password": "linecare-demo"},
        {"refresh_token": "x"},
    ],
)
async def test_malformed_sign_in_bodies_answer_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/api/token", json=body)

    assert response.status_code == 422


async def test_a_jwt_with_an_absurd_subject_answers_401(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    for subject in ("99999999999999999999999", "-1", "abc"):
        token = jwt.encode(
            {"sub": subject, "typ": "access", "exp": datetime.now(UTC) + timedelta(minutes=5)},
            app.state.token_secret,
            algorithm="HS256",
        )
        assert (await client.get("/api/me", headers=_bearer(token))).status_code == 401


@pytest.mark.parametrize("size", [8_000, 200_000])
async def test_huge_credentials_over_real_http_never_answer_5xx(api_url: str, size: int) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        try:
            response = await http.get("/api/me", headers={"Authorization": "Bearer " + "A" * size})
        except (httpx.RemoteProtocolError, httpx.ReadError):
            return  # the server closed the connection on an oversized header: no 5xx either
    assert 400 <= response.status_code < 500
