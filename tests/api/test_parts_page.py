"""GET /parts: the spare parts page is served, signed in or not (its script asks the API,
which refuses customers), and it links only its own assets."""

from __future__ import annotations

import re

import httpx
import pytest

from api.routers.console import STATIC_DIR

pytestmark = pytest.mark.integration


async def test_the_page_is_served_with_its_script_and_styles(client: httpx.AsyncClient) -> None:
    answer = await client.get("/parts")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-cache"
    page = answer.text
    for asset in ("/static/parts.js", "/static/parts.css", "/static/console.css"):
        assert asset in page
        assert (await client.get(asset)).status_code == 200
    assert '<header class="topbar">' in page  # filled, Sign out included, by top_bar.js


def test_the_script_asks_only_the_parts_endpoints() -> None:
    script = (STATIC_DIR / "parts.js").read_text(encoding="utf-8")
    asked = set(re.findall(r'api(?:Get|Post|Fetch)\(\s*[`"](/[a-z-]+)', script))
    assert asked == {
        "/stock",
        "/requisitions",
        "/ledger",
        "/serials",
        "/stock-planning",
        "/parts-consumption",
        "/me",
        "/stores",
        "/parts",
        "/lines",
    }


def test_planning_and_consumption_are_for_the_parts_authority_only() -> None:
    page = (STATIC_DIR / "parts.html").read_text(encoding="utf-8")
    for tab in ("planning", "consumption"):
        assert re.search(rf'data-tab="{tab}" data-authority', page)
    script = (STATIC_DIR / "parts.js").read_text(encoding="utf-8")
    assert 'new Set(["parts_manager", "admin"])' in script
    assert 'view.me.role === "customer"' in script
