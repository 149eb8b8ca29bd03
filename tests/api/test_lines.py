"""Lines with live machine states, and customers confined to their own lines."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_anomaly_score, insert_samples

pytestmark = pytest.mark.integration


def _line_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200
    return [line["id"] for line in response.json()]


async def test_staff_see_every_line(client: httpx.AsyncClient) -> None:
    for headers in (SUPPORT, DESK):
        assert _line_ids(await client.get("/api/lines", headers=headers)) == [
            "line-1",
            "line-2",
            "line-3",
        ]


async def test_customers_see_only_their_own_lines(client: httpx.AsyncClient) -> None:
    assert _line_ids(await client.get("/api/lines", headers=NORDBRAU)) == ["line-1", "line-2"]
    assert _line_ids(await client.get("/api/lines", headers=ALPENPACK)) == ["line-3"]


async def test_another_customers_line_looks_like_no_line(client: httpx.AsyncClient) -> None:
    foreign = await client.get("/api/lines/line-3", headers=NORDBRAU)
    missing = await client.get("/api/lines/line-99", headers=NORDBRAU)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == "line 'line-3' not found"
    assert (await client.get("/api/lines/line-3", headers=ALPENPACK)).status_code == 200


async def test_line_names_customer_site_and_machines(client: httpx.AsyncClient) -> None:
    line = (await client.get("/api/lines/line-1", headers=SUPPORT)).json()
    assert line["customer"] == {"id": "nordbrau", "name": "Nordbrau GmbH"}
    assert line["site"] == {
        "id": "nordbrau-hamburg",
        "name": "Hamburg brewery",
        "timezone": "Europe/Berlin",
    }
    assert (line["model"], line["serial"], line["protocol"]) == (
        "FL-3000",
        "FL3-2024-0117",
        "opcua",
    )
    assert [m["id"] for m in line["machines"]] == ["l1-filler", "l1-capper", "l1-labeller"]
    assert all(m["state"] is None and m["anomaly"] is None for m in line["machines"])


async def test_every_line_names_its_sites_time_zone(client: httpx.AsyncClient) -> None:
    # The console shows plant times in the zone of the line's site, not the browser's.
    lines = (await client.get("/api/lines", headers=SUPPORT)).json()
    assert {line["id"]: line["site"]["timezone"] for line in lines} == {
        "line-1": "Europe/Berlin",
        "line-2": "Europe/Berlin",
        "line-3": "Europe/Zurich",
    }


async def test_machines_carry_newest_state_fault_and_anomaly(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn,
            machine_id="l1-capper",
            signal="state",
            samples=[(T0 - timedelta(minutes=5), 6), (T0, 11)],
        )
        await insert_samples(conn, machine_id="l1-capper", signal="fault_code", samples=[(T0, 42)])
        await insert_samples(conn, machine_id="l1-filler", signal="state", samples=[(T0, 6)])
        await insert_samples(conn, machine_id="l1-filler", signal="fault_code", samples=[(T0, 0)])
        await insert_anomaly_score(
            conn,
            machine_id="l1-capper",
            time=T0,
            score=0.82,
            contributions=[
                ("vibration_rms", 4.0, 0.5),
                ("bearing_temp", 2.0, 0.2),
                ("motor_current", 1.0, 0.1),
                ("speed", 0.5, 0.02),
            ],
        )
    line = (await client.get("/api/lines/line-1", headers=NORDBRAU)).json()
    filler, capper, labeller = line["machines"]
    assert capper["state"] == {
        "code": 11,
        "name": "held",
        "time": "2026-03-02T12:00:00Z",
        "quality": "good",
        "fault_code": 42,
    }
    assert capper["anomaly"]["score"] == 0.82
    assert capper["anomaly"]["top_signals"] == ["vibration_rms", "bearing_temp", "motor_current"]
    assert (filler["state"]["name"], filler["state"]["fault_code"]) == ("execute", None)
    assert labeller["state"] is None


async def test_a_bad_state_sample_without_a_value_shows_as_unknown_state(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-capper", signal="state", samples=[(T0, math.nan)], quality=2
        )
        await insert_samples(
            conn, machine_id="l1-capper", signal="fault_code", samples=[(T0, math.nan)], quality=2
        )
    response = await client.get("/api/lines/line-1", headers=SUPPORT)
    assert response.status_code == 200, response.text
    capper = next(m for m in response.json()["machines"] if m["id"] == "l1-capper")
    assert capper["state"] is None


async def test_a_machine_says_when_its_newest_sample_of_any_signal_came(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    # The filler reports vibration but no state: its data arrives all the same.
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn,
            machine_id="l1-filler",
            signal="vibration_rms",
            samples=[(T0 - timedelta(seconds=20), 3.1), (T0 - timedelta(seconds=10), 3.2)],
        )
        await insert_samples(
            conn, machine_id="l1-capper", signal="state", samples=[(T0 - timedelta(hours=2), 6)]
        )
    line = (await client.get("/api/lines/line-1", headers=NORDBRAU)).json()
    filler, capper, labeller = line["machines"]
    assert (filler["state"], filler["last_sample_at"]) == (None, "2026-03-02T11:59:50Z")
    assert capper["last_sample_at"] == "2026-03-02T10:00:00Z"
    assert labeller["last_sample_at"] is None
