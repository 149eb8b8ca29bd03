"""/docs and /redoc load everything from this server, and their CSP lets them run."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

pytestmark = pytest.mark.integration

ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_page_names_no_other_host_and_its_assets_answer(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assets = ASSET_URL.findall(page.text)
    assert any(url.endswith(".js") for url in assets)
    for url in assets:
        assert url.startswith("/"), url
        answer = await client.get(url)
        assert answer.status_code == 200, url


async def test_docs_policy_allows_exactly_swagger_uis_inline_start_script(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_docs_spec_loads_from_this_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert "url: '/openapi.json'" in page.text
    assert (await client.get("/openapi.json")).status_code == 200
