"""Every response carries the security headers; HSTS only over https."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import SUPPORT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/static/console.js", {}),
        ("/api/lines", SUPPORT),
        ("/api/lines", {}),  # 401 too
        ("/api/machines/no-such-machine/live", SUPPORT),  # and 404
    ],
)
async def test_each_response_carries_the_security_headers(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    response = await client.get(path, headers=headers)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers


async def test_the_console_may_load_only_its_own_scripts_and_styles(
    client: httpx.AsyncClient,
) -> None:
    policy = (await client.get("/")).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


async def test_console_pages_have_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    for path in ("/", "/report"):
        page = (await client.get(path)).text
        assert "<script>" not in page and '<script type="module">' not in page
        assert "<style" not in page and " style=" not in page


async def test_hsts_only_over_https(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://linecare.test") as https:
        response = await https.get("/", headers=SUPPORT)
    assert response.headers["strict-transport-security"].startswith("max-age=")
