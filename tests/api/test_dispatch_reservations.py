"""A dispatch reserves the chosen parts through the stock ledger in its own transaction;
the engineer's job lists them as parts to bring; the archive releases what was not used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import DESK
from tests.api.desk_clock import Clock
from tests.api.dispatch_factories import FIELD_1, classified_ticket, dispatch, move
from tests.api.factories import T0
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

KIT = "FIL12-BRG-KIT"
HAMBURG = "regional-hamburg"  # holds one bearing kit


@pytest.fixture
async def clock(app: FastAPI, seeded_pool: Pool, plant: Plant) -> AsyncIterator[Clock]:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    fixed = Clock(T0)
    app.state.ticket_clock = fixed
    yield fixed


async def _kit_in_hamburg(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(
        "/api/stock", params={"store_id": HAMBURG, "part_number": KIT}, headers=DESK
    )
    (level,) = answer.json()
    return dict(level)


async def test_the_dispatch_reserves_the_kit_and_the_job_lists_it_to_bring(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    clock.advance(minutes=10)

    answer = await dispatch(
        client,
        ticket,
        "demo-field-1",
        key="with-kit",
        reserve=[{"part_number": KIT, "store_id": HAMBURG, "quantity": 1}],
    )

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [(r["store_id"], r["part_number"], r["quantity"]) for r in body["reserved"]] == [
        (HAMBURG, KIT, 1)
    ]
    assert body["order"]["assignment"]["parts"] == [
        {"part_number": KIT, "quantity": 1, "description": f"reserved in {HAMBURG}"}
    ]
    assert (await _kit_in_hamburg(client))["reserved"] == 1
    ledger = await client.get("/api/ledger", params={"ticket_id": ticket}, headers=DESK)
    assert [(e["kind"], e["ticket_id"]) for e in ledger.json()] == [("reservation", ticket)]

    again = await dispatch(
        client,
        ticket,
        "demo-field-1",
        key="with-kit",
        reserve=[{"part_number": KIT, "store_id": HAMBURG, "quantity": 1}],
    )
    assert again.status_code == 200
    assert again.json()["reserved"] == []
    assert (await _kit_in_hamburg(client))["reserved"] == 1

    jobs = (await client.get("/api/my-jobs", headers=FIELD_1)).json()
    (job,) = [j for j in jobs if j["order"]["ticket_id"] == ticket]
    assert [(p["store_id"], p["part_number"], p["reserved"]) for p in job["parts_to_bring"]] == [
        (HAMBURG, KIT, 1)
    ]
    assert job["parts_used"] == []


async def test_a_reservation_the_stock_cannot_cover_dispatches_nothing(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    first, second = await classified_ticket(client), await classified_ticket(client)
    kit = [{"part_number": KIT, "store_id": HAMBURG, "quantity": 1}]
    assert (await dispatch(client, first, "demo-field-1", reserve=kit)).status_code == 201

    refused = await dispatch(client, second, "demo-field-1", reserve=kit)

    assert refused.status_code == 409
    assert "not enough" in refused.text
    ticket = (await client.get(f"/api/tickets/{second}", headers=DESK)).json()
    assert ticket["status"] == "classified"
    assert (await _kit_in_hamburg(client))["reserved"] == 1
    nowhere = await dispatch(
        client,
        second,
        "demo-field-1",
        reserve=[{"part_number": KIT, "store_id": "no-such-store", "quantity": 1}],
    )
    assert nowhere.status_code == 409
    assert "no store" in nowhere.text


async def test_the_archive_releases_the_parts_the_ticket_did_not_use(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    kit = [{"part_number": KIT, "store_id": HAMBURG, "quantity": 1}]
    assert (await dispatch(client, ticket, "demo-field-1", reserve=kit)).status_code == 201

    back = await move(client, ticket, "classified", DESK, note="customer fixed it themselves")
    assert back.status_code == 200, back.text
    assert (await _kit_in_hamburg(client))["reserved"] == 1  # still held for the ticket
    archived = await move(client, ticket, "archived", DESK, note="withdrawn by the customer")
    assert archived.status_code == 200, archived.text

    assert (await _kit_in_hamburg(client))["reserved"] == 0
    ledger = await client.get("/api/ledger", params={"ticket_id": ticket}, headers=DESK)
    assert [e["kind"] for e in ledger.json()] == ["release", "reservation"]
