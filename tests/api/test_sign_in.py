"""Password sign-in for the console: the session cookie, its flags, expiry and sign-out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.connections import Pool
from tests.api.sign_in_factories import CSRF, session_cookie, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client over https that keeps cookies: Secure cookies travel only over https."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://linecare.test") as http:
        yield http


async def test_the_demo_password_signs_in_and_the_cookie_then_serves_the_api(
    browser: httpx.AsyncClient,
) -> None:
    response = await sign_in(browser, "demo-nordbrau")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["login"] == "demo-nordbrau"
    assert body["user"]["customer_id"] == "nordbrau"
    me = await browser.get("/api/me")  # the client keeps the cookie, like a browser
    assert me.status_code == 200
    assert me.json()["login"] == "demo-nordbrau"


async def test_the_session_cookie_is_httponly_secure_and_samesite_strict(
    browser: httpx.AsyncClient,
) -> None:
    cookie = session_cookie(await sign_in(browser, "demo-desk"))["linecare_session"]

    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "strict"
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 12 * 3600
    assert len(cookie.value) >= 43


async def test_secure_can_be_turned_off_for_a_plain_http_demo(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> None:
    app: FastAPI = create_app(
        settings.model_copy(update={"session_cookie_secure": False}), plant, pool=seeded_pool
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        cookie = session_cookie(await sign_in(http, "demo-desk"))["linecare_session"]
    assert cookie["secure"] == ""
    assert cookie["httponly"] is True


@pytest.mark.parametrize(
    ("login", "password"),
    [("demo-desk", "wrong-password"), ("nobody-here", "linecare-demo"), ("demo-desk", "")],
)
async def test_a_wrong_login_or_password_is_refused_without_saying_which(
    browser: httpx.AsyncClient, login: str, password: str
) -> None:
    response = await sign_in(browser, login, password)

    assert response.status_code in (401, 422)
    assert "set-cookie" not in response.headers
    if response.status_code == 401:
        assert response.json()["detail"] == "The login or the password is wrong."
    assert (await browser.get("/api/me")).status_code == 401


async def test_a_user_without_password_cannot_sign_in_with_one(
    browser: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE users SET password_hash = NULL WHERE login = 'demo-support'")

    response = await sign_in(browser, "demo-support")

    assert response.status_code == 401


async def test_sign_in_needs_the_csrf_header(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/api/sign-in", json={"login": "demo-desk", "password": "linecare-demo"}
    )

    assert response.status_code == 400
    assert "X-Requested-With" in response.json()["detail"]
    assert "set-cookie" not in response.headers


async def test_changes_with_the_cookie_need_the_csrf_header(browser: httpx.AsyncClient) -> None:
    await sign_in(browser, "demo-desk")
    body = {"name": "probe", "access": "read_only"}

    without = await browser.post("/api/api-keys", json=body)
    with_header = await browser.post("/api/api-keys", json=body, headers=CSRF)

    assert without.status_code == 403
    assert "X-Requested-With" in without.json()["detail"]
    assert with_header.status_code == 201


async def test_sign_out_ends_the_session_and_clears_the_cookie(
    browser: httpx.AsyncClient,
) -> None:
    signed_in = await sign_in(browser, "demo-desk")
    stolen = signed_in.cookies["linecare_session"]

    response = await browser.post("/api/sign-out", headers=CSRF)

    assert response.status_code == 204
    cleared = session_cookie(response)["linecare_session"]
    assert cleared.value == "" and cleared["max-age"] == "0"
    assert (await browser.get("/api/me")).status_code == 401
    # A copy of the cookie taken before signing out works no more either.
    replay = await browser.get("/api/me", headers={"Cookie": f"linecare_session={stolen}"})
    assert replay.status_code == 401


async def test_an_expired_session_answers_401_with_a_way_back(
    browser: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await sign_in(browser, "demo-desk")
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")

    response = await browser.get("/api/me")

    assert response.status_code == 401
    assert "/sign-in" in response.json()["detail"]


async def test_an_idle_session_ends_and_use_keeps_one_alive(
    browser: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await sign_in(browser, "demo-desk")
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE sessions SET last_seen_at = now() - interval '50 minutes'")
    assert (await browser.get("/api/me")).status_code == 200  # used: idle time starts over
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT now() - last_seen_at < interval '1 minute' FROM sessions"
        )
        assert await cursor.fetchone() == (True,)
        await conn.execute("UPDATE sessions SET last_seen_at = now() - interval '61 minutes'")

    assert (await browser.get("/api/me")).status_code == 401


async def test_revoking_a_user_ends_their_sessions(
    browser: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await sign_in(browser, "demo-desk")
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE users SET revoked_at = now() WHERE login = 'demo-desk'")

    assert (await browser.get("/api/me")).status_code == 401
    assert (await sign_in(browser, "demo-desk")).status_code == 401


async def test_a_customer_session_stays_within_its_customer(browser: httpx.AsyncClient) -> None:
    await sign_in(browser, "demo-alpenpack")

    lines = (await browser.get("/api/lines")).json()
    foreign = await browser.get("/api/lines/line-1")

    assert [line["id"] for line in lines] == ["line-3"]
    assert foreign.status_code == 404


async def test_the_sign_in_page_is_served(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/sign-in")

    assert response.status_code == 200
    assert "action" not in response.text  # the script posts JSON, no form post to elsewhere
    assert "/static/sign_in.js" in response.text
    assert (await browser.get("/static/sign_in.js")).status_code == 200
