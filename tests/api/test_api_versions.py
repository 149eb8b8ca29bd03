"""The API under /api/v1, and /api/... as its deprecated alias."""

from __future__ import annotations

import re

import httpx
import pytest

from api.routers.console import STATIC_DIR
from tests.api.conftest import DESK, NORDBRAU

pytestmark = pytest.mark.integration

# A string in a console script that starts an unversioned API path: the scripts reach the
# API through api_client.js (or its apiPath), so that /api/v1 is named in one place.
UNVERSIONED = re.compile(r"""["'`]/api/(?!v1\b)""")


async def test_v1_answers_without_deprecation(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/lines", headers=NORDBRAU)

    assert response.status_code == 200
    assert [line["id"] for line in response.json()] == ["line-1", "line-2"]
    assert "deprecation" not in response.headers


async def test_the_unversioned_alias_answers_the_same_and_says_it_is_deprecated(
    client: httpx.AsyncClient,
) -> None:
    versioned = await client.get("/api/v1/lines/line-1", headers=NORDBRAU)
    aliased = await client.get("/api/lines/line-1", headers=NORDBRAU)

    assert aliased.status_code == 200
    assert aliased.json() == versioned.json()
    assert aliased.headers["deprecation"] == "@1796515200"  # 2026-12-06, RFC 9745
    assert aliased.headers["link"] == (
        '</api/v1/lines/line-1>; rel="successor-version", </docs>; rel="deprecation"'
    )


async def test_the_alias_keeps_the_query_and_serves_errors_and_writes(
    client: httpx.AsyncClient,
) -> None:
    listed = await client.get("/api/tickets", params={"limit": "1"}, headers=DESK)
    missing = await client.get("/api/tickets/999999", headers=DESK)
    refused = await client.post("/api/tickets", json={}, headers=DESK)

    assert listed.status_code == 200 and listed.json() == []
    assert missing.status_code == 404 and "deprecation" in missing.headers
    assert missing.json()["detail"] == "ticket 999999 not found"
    assert refused.status_code == 422 and "deprecation" in refused.headers


async def test_the_openapi_document_has_v1_paths_only(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert paths
    assert all(path.startswith("/api/v1/") for path in paths)


async def test_a_key_for_tickets_writes_tickets_on_either_path(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post(
        "/api/v1/api-keys", json={"name": "ticket robot", "access": "tickets_write"}, headers=DESK
    )
    key = {"Authorization": f"Bearer {made.json()['key']}"}

    versioned = await client.post(
        "/api/v1/tickets/999999/transitions", json={"to": "classified"}, headers=key
    )
    aliased = await client.post(
        "/api/tickets/999999/transitions", json={"to": "classified"}, headers=key
    )
    elsewhere = await client.post("/api/v1/complaints", json={}, headers=key)

    assert made.status_code == 201, made.text
    assert versioned.status_code == aliased.status_code == 404  # in scope, no such ticket
    assert elsewhere.status_code == 403


def test_the_console_calls_the_versioned_api() -> None:
    client = (STATIC_DIR / "api_client.js").read_text()
    assert 'const API_ROOT = "/api/v1";' in client
    offenders = [
        path.name
        for path in sorted(STATIC_DIR.glob("*.js"))
        if UNVERSIONED.search(path.read_text())
    ]
    assert offenders == []
