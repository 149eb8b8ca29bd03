"""The console page and its assets are served, and health needs no token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.factories import T0, insert_series

pytestmark = pytest.mark.integration


async def test_console_page_is_served_at_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "LineCare" in response.text
    assert "/static/console.js" in response.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/console.js", "javascript"),
        ("/static/charts.js", "javascript"),
        ("/static/dom.js", "javascript"),
        ("/static/plant_time.js", "javascript"),
        ("/static/signal_labels.js", "javascript"),
        ("/static/console.css", "text/css"),
    ],
)
async def test_console_assets_are_served(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]


async def test_health_needs_no_token_and_reports_plant_time(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    empty = await client.get("/api/health")
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="state",
            start=T0 - timedelta(minutes=1),
            step=timedelta(minutes=1),
            values=[6, 6],
        )
    filled = await client.get("/api/health")
    assert empty.json() == {"status": "ok", "database": True, "plant_time": None}
    assert filled.status_code == 200
    assert filled.json()["plant_time"] == "2026-03-02T12:00:00Z"
