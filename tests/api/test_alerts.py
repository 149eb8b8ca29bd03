"""Alerts: customers see their own machines' alerts only."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_alert

pytestmark = pytest.mark.integration


@pytest.fixture
async def alerts(seeded_pool: Pool) -> dict[str, int]:
    async with seeded_pool.connection() as conn:
        return {
            "l1": await insert_alert(
                conn, machine_id="l1-filler", opened_at=T0, raised_at=T0 + timedelta(minutes=2)
            ),
            "l2_closed": await insert_alert(
                conn, machine_id="l2-capper", opened_at=T0 - timedelta(hours=3), status="closed"
            ),
            "l3": await insert_alert(
                conn, machine_id="l3-packer", opened_at=T0 - timedelta(hours=1), severity="major"
            ),
        }


async def test_staff_see_all_alerts_newest_first(
    client: httpx.AsyncClient, alerts: dict[str, int]
) -> None:
    body = (await client.get("/api/alerts", headers=SUPPORT)).json()
    assert [a["id"] for a in body] == [alerts["l1"], alerts["l3"], alerts["l2_closed"]]
    first = body[0]
    assert (first["machine_name"], first["line_id"], first["severity"]) == (
        "Filler",
        "line-1",
        "serious",
    )
    assert first["signals"] == ["bearing_temp"]
    # When the evidence began, and when the rule raised the alert.
    assert (first["opened_at"], first["raised_at"]) == (
        "2026-03-02T12:00:00Z",
        "2026-03-02T12:02:00Z",
    )
    assert first["peak_score"] == 0.92


async def test_customers_see_only_their_alerts(
    client: httpx.AsyncClient, alerts: dict[str, int]
) -> None:
    nordbrau = (await client.get("/api/alerts", headers=NORDBRAU)).json()
    alpenpack = (await client.get("/api/alerts", headers=ALPENPACK)).json()
    assert [a["id"] for a in nordbrau] == [alerts["l1"], alerts["l2_closed"]]
    assert [a["id"] for a in alpenpack] == [alerts["l3"]]


async def test_open_only_leaves_closed_alerts_out(
    client: httpx.AsyncClient, alerts: dict[str, int]
) -> None:
    body = (await client.get("/api/alerts", params={"open_only": True}, headers=NORDBRAU)).json()
    assert [a["id"] for a in body] == [alerts["l1"]]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 100000}, {"open_only": "maybe"}])
async def test_bad_alert_parameters_answer_422(
    client: httpx.AsyncClient, params: dict[str, str | int | bool]
) -> None:
    response = await client.get("/api/alerts", params=params, headers=SUPPORT)
    assert response.status_code == 422
