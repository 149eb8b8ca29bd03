"""Helpers for the sign-in tests: sign in as the console does, read cookies as a browser would."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from storage.user_store import DEMO_PASSWORD

CSRF = {"X-Requested-With": "test"}


async def sign_in(
    client: httpx.AsyncClient, login: str, password: str = DEMO_PASSWORD
) -> httpx.Response:
    """POST /api/sign-in as the sign-in page does."""
    return await client.post(
        "/api/sign-in", json={"login": login, "password": password}, headers=CSRF
    )


def session_cookie(response: httpx.Response) -> SimpleCookie:
    """The Set-Cookie of the session, parsed with its attributes."""
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert len(headers) == 1, headers
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(headers[0])
    assert "linecare_session" in cookie
    return cookie


async def token_pair(
    client: httpx.AsyncClient, login: str, password: str = DEMO_PASSWORD
) -> dict[str, str]:
    response = await client.post("/api/token", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body
