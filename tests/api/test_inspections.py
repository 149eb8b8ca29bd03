"""Patrol inspections: filled in from the template, checked, kept with the line's history,
a ticket per finding (once, even when asked twice at once), isolation and bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> None:
    app.state.ticket_clock = lambda: T0


def _answers(**changes: str) -> list[dict[str, str]]:
    values = {
        "line-usage": "two shifts, 0.5 l bottles",
        "customer-remarks": "filler louder in the morning",
        "machine-state": "signs of wear",
        "wiring-state": "good",
        "hidden-faults": "drip under valve 7",
        "routine-care": "yes",
    } | changes
    return [{"item": k, "value": v} for k, v in values.items()]


def _body(**changes: Any) -> dict[str, Any]:
    return {
        "line_id": "line-2",
        "answers": _answers(),
        "findings": [
            {"machine_id": "l2-filler", "severity": "general", "description": "valve 7 drips"},
            {"description": "cabinet fan dusty", "needs_work": False},
        ],
    } | changes


async def _record(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] = DESK
) -> httpx.Response:
    return await client.post("/api/inspections", json=body, headers=headers)


async def test_templates_follow_the_inspection_record_form(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/inspections/templates", headers=DESK)
    assert response.status_code == 200
    [patrol] = response.json()
    keys = [i["key"] for i in patrol["items"]]
    for key in ("line-usage", "customer-remarks", "machine-state", "wiring-state"):
        assert key in keys
    assert {"hidden-faults", "parts-due", "routine-care"} <= set(keys)


async def test_an_inspection_is_kept_with_the_lines_history(client: httpx.AsyncClient) -> None:
    created = await _record(client, _body())
    assert created.status_code == 201
    record = created.json()
    assert record["site_id"] == "nordbrau-hamburg"
    assert record["inspector"] == "demo-desk"
    assert record["answers"][0]["label"].startswith("How the line is used")
    assert [f["position"] for f in record["findings"]] == [1, 2]
    history = await client.get("/api/lines/line-2/inspections", headers=NORDBRAU)
    assert history.status_code == 200
    assert [i["id"] for i in history.json()] == [record["id"]]
    assert (await client.get("/api/lines/line-1/inspections", headers=SUPPORT)).json() == []
    one = await client.get(f"/api/inspections/{record['id']}", headers=NORDBRAU)
    assert one.json()["findings"][0]["description"] == "valve 7 drips"


async def test_the_same_key_records_once(client: httpx.AsyncClient) -> None:
    headers = DESK | {"Idempotency-Key": "patrol-2026-03-02"}
    first = await _record(client, _body(), headers)
    again = await _record(client, _body(), headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    history = await client.get("/api/lines/line-2/inspections", headers=DESK)
    assert len(history.json()) == 1


async def test_a_finding_opens_one_ticket(client: httpx.AsyncClient) -> None:
    record = (await _record(client, _body())).json()
    url = f"/api/inspections/{record['id']}/findings/1/ticket"
    first, second = await asyncio.gather(
        client.post(url, headers=SUPPORT), client.post(url, headers=SUPPORT)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["ticket_id"] == second.json()["ticket_id"]
    ticket = await client.get(f"/api/tickets/{first.json()['ticket_id']}", headers=NORDBRAU)
    assert ticket.status_code == 200
    assert ticket.json()["machine_id"] == "l2-filler"
    assert "valve 7 drips" in ticket.json()["summary"]
    shown = await client.get(f"/api/inspections/{record['id']}", headers=DESK)
    assert shown.json()["findings"][0]["ticket_id"] == first.json()["ticket_id"]
    # A finding without a machine cannot become a ticket; a missing one is 404.
    no_machine = await client.post(
        f"/api/inspections/{record['id']}/findings/2/ticket", headers=SUPPORT
    )
    assert no_machine.status_code == 422
    missing = await client.post(
        f"/api/inspections/{record['id']}/findings/9/ticket", headers=SUPPORT
    )
    assert missing.status_code == 404


async def test_other_customers_see_nothing(client: httpx.AsyncClient) -> None:
    record = (await _record(client, _body())).json()
    assert (
        await client.get(f"/api/inspections/{record['id']}", headers=ALPENPACK)
    ).status_code == 404
    assert (await client.get("/api/lines/line-2/inspections", headers=ALPENPACK)).status_code == 404
    assert (
        await client.post(f"/api/inspections/{record['id']}/findings/1/ticket", headers=ALPENPACK)
    ).status_code == 404
    assert (await _record(client, _body(), ALPENPACK)).status_code == 404
    # The line's own customer reads but does not record or open tickets.
    assert (await _record(client, _body(), NORDBRAU)).status_code == 403
    assert (
        await client.post(f"/api/inspections/{record['id']}/findings/1/ticket", headers=NORDBRAU)
    ).status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers": _answers(**{"machine-state": "splendid"})}, "takes one of"),
        ({"answers": _answers(**{"routine-care": "maybe"})}, "takes one of"),
        ({"answers": _answers()[1:]}, "required items not answered: line-usage"),
        ({"answers": [*_answers(), {"item": "no-such-item", "value": "x"}]}, "no item"),
        ({"answers": [*_answers(), {"item": "line-usage", "value": "x"}]}, "twice"),
        ({"template": "nightly"}, "no inspection template"),
        (
            {"findings": [{"machine_id": "l1-filler", "description": "wrong line"}]},
            "is not in line",
        ),
        ({"inspected_at": (T0 + timedelta(days=1)).isoformat()}, "future"),
    ],
)
async def test_bad_inspections_are_422_with_a_reason(
    client: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    response = await _record(client, _body(**changes))
    assert response.status_code == 422
    assert message in response.json()["detail"]


async def test_malformed_bodies_are_422(client: httpx.AsyncClient) -> None:
    assert (await _record(client, {"line_id": "line-2"})).status_code == 422
    bad_finding = _body(findings=[{"description": ""}])
    assert (await _record(client, bad_finding)).status_code == 422
    assert (await _record(client, _body(line_id="line-9"))).status_code == 404
    assert (await client.post("/api/inspections", json=_body())).status_code == 401
