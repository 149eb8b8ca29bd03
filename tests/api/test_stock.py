"""/api/stores, /api/stock, /api/ledger and /api/requisitions: stock per store, bookings
with their permissions and refusals, low-stock warnings, requisitions with approval."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

PARTS = {"Authorization": "Bearer demo-parts"}
FIELD_1 = {"Authorization": "Bearer demo-field-1"}
NOW = T0 + timedelta(days=1)


@pytest.fixture
async def stock(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool, plant: Plant
) -> httpx.AsyncClient:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    app.state.ticket_clock = lambda: NOW
    return client


@pytest.fixture
async def ticket(seeded_pool: Pool) -> int:
    async with seeded_pool.connection() as conn:
        found = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        await conn.commit()
    return found


def _movement(kind: str, store: str, part: str, quantity: int, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "store_id": store, "part_number": part, "quantity": quantity} | more


async def _level(client: httpx.AsyncClient, store: str, part: str) -> dict[str, Any]:
    answer = await client.get(
        "/api/stock", params={"store_id": store, "part_number": part}, headers=DESK
    )
    (level,) = answer.json()
    return dict(level)


async def test_customers_never_see_stores_stock_ledger_or_requisitions(
    stock: httpx.AsyncClient, ticket: int
) -> None:
    reads = (
        "/api/stores",
        "/api/stores/central",
        "/api/stock",
        "/api/stock/warnings",
        "/api/ledger",
        "/api/requisitions",
        "/api/requisitions/1",
    )
    for customer in (NORDBRAU, ALPENPACK):
        for path in reads:
            answer = await stock.get(path, headers=customer)
            assert answer.status_code == 403, path
            assert "central" not in answer.text and "SENS" not in answer.text
        booking = await stock.post(
            "/api/ledger",
            json=_movement("reservation", "central", "SENS-PX-M18", 1, ticket_id=ticket),
            headers=customer,
        )
        asking = await stock.post(
            "/api/requisitions",
            json={
                "part_number": "SENS-PX-M18",
                "quantity": 1,
                "purpose": "x",
                "store_id": "central",
            },
            headers=customer,
        )
        assert (booking.status_code, asking.status_code) == (403, 403)


async def test_stores_and_stock_with_the_low_stock_warning(stock: httpx.AsyncClient) -> None:
    stores = (await stock.get("/api/stores", headers=SUPPORT)).json()
    warnings = (await stock.get("/api/stock/warnings", headers=DESK)).json()
    level = await _level(stock, "regional-hamburg", "FIL12-VALVE-SEAL")

    assert [(s["id"], s["kind"]) for s in stores][:3] == [
        ("central", "central"),
        ("regional-hamburg", "regional"),
        ("regional-zurich", "regional"),
    ]
    assert {s["owner_login"] for s in stores[3:]} == {
        "demo-field-1",
        "demo-field-2",
        "demo-field-3",
    }
    assert [(w["level"]["store_id"], w["level"]["part_number"]) for w in warnings] == [
        ("central", "LAB2-GLUE-PUMP")
    ]
    assert level | {} == level and (level["on_hand"], level["available"]) == (6, 6)
    assert (await stock.get("/api/stores/nope", headers=DESK)).status_code == 404


async def test_bookings_follow_roles_stores_and_the_rules(
    stock: httpx.AsyncClient, ticket: int
) -> None:
    reserve = _movement("reservation", "regional-hamburg", "FIL12-VALVE-SEAL", 4, ticket_id=ticket)
    issue_own_van = _movement("issue", "van-demo-field-1", "FIL12-VALVE-SEAL", 1, ticket_id=ticket)
    issue_other_van = issue_own_van | {"store_id": "van-demo-field-2"}

    desk = await stock.post("/api/ledger", json=reserve, headers=DESK)
    too_many = await stock.post("/api/ledger", json=reserve, headers=DESK)
    desk_issue = await stock.post("/api/ledger", json=issue_own_van, headers=DESK)
    engineer = await stock.post("/api/ledger", json=issue_own_van, headers=FIELD_1)
    foreign = await stock.post("/api/ledger", json=issue_other_van, headers=FIELD_1)
    no_part = await stock.post(
        "/api/ledger", json=reserve | {"part_number": "NOPE-1"}, headers=DESK
    )
    no_store = await stock.post("/api/ledger", json=reserve | {"store_id": "nope"}, headers=DESK)
    bad_kind = await stock.post("/api/ledger", json=reserve | {"kind": "steal"}, headers=DESK)

    assert desk.status_code == 201 and desk.json()["levels"][0]["reserved"] == 4
    assert too_many.status_code == 409
    assert too_many.json()["detail"] == (
        "Refused: not enough stock: regional-hamburg has 2 available of FIL12-VALVE-SEAL, 4 asked."
    )
    assert desk_issue.status_code == 403
    assert engineer.status_code == 201 and engineer.json()["entries"][0]["actor"] == "demo-field-1"
    assert foreign.status_code == 403 and "own van" in foreign.json()["detail"]
    assert (no_part.status_code, no_store.status_code, bad_kind.status_code) == (404, 404, 422)
    ledger = await stock.get("/api/ledger", params={"ticket_id": ticket}, headers=SUPPORT)
    assert [e["kind"] for e in ledger.json()] == ["issue", "reservation"]


async def test_a_booking_sent_twice_with_one_key_is_booked_once_and_warns_of_low_stock(
    stock: httpx.AsyncClient,
) -> None:
    scrap = _movement("scrap", "regional-zurich", "BELT-HTD-8M", 5, reason="water damage")
    key = {"Idempotency-Key": "scrap-belts-1"}

    first = await stock.post("/api/ledger", json=scrap, headers=PARTS | key)
    again = await stock.post("/api/ledger", json=scrap, headers=PARTS | key)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["entries"] == first.json()["entries"]
    assert (await _level(stock, "regional-zurich", "BELT-HTD-8M"))["on_hand"] == 1
    assert first.json()["low_stock_warnings"] == [
        "BELT-HTD-8M in regional-zurich: 1 on hand, below the safety stock of 2"
    ]


async def test_thresholds_are_set_by_the_parts_manager(stock: httpx.AsyncClient) -> None:
    body = {"safety_stock": 8, "reorder_point": 10}

    by_desk = await stock.put("/api/stock/regional-hamburg/SENS-PX-M18", json=body, headers=DESK)
    by_manager = await stock.put(
        "/api/stock/regional-hamburg/SENS-PX-M18", json=body, headers=PARTS
    )
    negative = await stock.put(
        "/api/stock/regional-hamburg/SENS-PX-M18",
        json={"safety_stock": -1, "reorder_point": 0},
        headers=PARTS,
    )

    assert by_desk.status_code == 403 and negative.status_code == 422
    assert by_manager.json()["at_reorder_point"] is True
    assert by_manager.json()["below_safety_stock"] is False


async def test_an_emergency_requisition_for_a_ticket_is_approved_as_a_transfer(
    stock: httpx.AsyncClient, ticket: int
) -> None:
    ask = {
        "part_number": "SENS-PX-M18",
        "quantity": 3,
        "purpose": "infeed sensor flickers",
        "store_id": "van-demo-field-1",
        "from_store_id": "regional-hamburg",
        "ticket_id": ticket,
        "emergency": True,
    }
    key = {"Idempotency-Key": "req-1"}

    created = await stock.post("/api/requisitions", json=ask, headers=FIELD_1 | key)
    again = await stock.post("/api/requisitions", json=ask, headers=FIELD_1 | key)
    rid = created.json()["id"]
    by_desk = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": True}, headers=DESK
    )
    approved = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": True, "note": "urgent"}, headers=PARTS
    )
    twice = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": False}, headers=PARTS
    )

    assert created.status_code == 201 and again.json()["id"] == rid
    assert created.json()["customer_id"] == "nordbrau"
    assert by_desk.status_code == 403
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "demo-parts"
    assert twice.status_code == 409 and "approved already" in twice.json()["detail"]
    moves = (await stock.get("/api/ledger", params={"ticket_id": ticket}, headers=DESK)).json()
    assert [(m["kind"], m["store_id"], m["emergency"], m["requisition_id"]) for m in moves] == [
        ("transfer_in", "van-demo-field-1", True, rid),
        ("transfer_out", "regional-hamburg", True, rid),
    ]
    assert (await _level(stock, "van-demo-field-1", "SENS-PX-M18"))["on_hand"] == 7


async def test_a_requisition_the_source_cannot_fill_stays_pending(
    stock: httpx.AsyncClient,
) -> None:
    ask = {
        "part_number": "PK9-GRIPPER",
        "quantity": 2,
        "purpose": "refill",
        "store_id": "regional-zurich",
        "from_store_id": "central",
    }

    rid = (await stock.post("/api/requisitions", json=ask, headers=PARTS)).json()["id"]
    refused = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": True}, headers=PARTS
    )
    still = await stock.get(f"/api/requisitions/{rid}", headers=DESK)
    rejected = await stock.post(
        f"/api/requisitions/{rid}/decision",
        json={"approve": False, "note": "order instead"},
        headers=PARTS,
    )

    assert (
        refused.status_code == 409
        and "central has 1 in store of PK9-GRIPPER" in refused.json()["detail"]
    )
    assert still.json()["status"] == "pending"
    assert rejected.json()["status"] == "rejected"


async def test_a_supplier_order_is_expected_after_the_lead_time_and_received_by_serial(
    stock: httpx.AsyncClient,
) -> None:
    ask = {
        "part_number": "LAB2-GLUE-PUMP",
        "quantity": 2,
        "purpose": "below safety stock",
        "store_id": "central",
    }

    rid = (await stock.post("/api/requisitions", json=ask, headers=DESK)).json()["id"]
    warned = (await stock.get("/api/stock/warnings", headers=DESK)).json()
    ordered = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": True}, headers=PARTS
    )
    short = await stock.post(
        f"/api/requisitions/{rid}/receipt", json={"serials": ["GLP-1"]}, headers=PARTS
    )
    received = await stock.post(
        f"/api/requisitions/{rid}/receipt", json={"serials": ["GLP-1", "GLP-2"]}, headers=PARTS
    )
    pending = await stock.get("/api/requisitions", params={"status": "pending"}, headers=DESK)
    missing = await stock.post(
        "/api/requisitions/999999/decision", json={"approve": True}, headers=PARTS
    )
    bad = await stock.post("/api/requisitions", json=ask | {"store_id": "nope"}, headers=DESK)

    assert warned[0]["open_requisition_id"] == rid
    assert ordered.json()["status"] == "ordered"
    assert ordered.json()["expected_at"] == (NOW + timedelta(days=42)).isoformat().replace(
        "+00:00", "Z"
    )
    assert short.status_code == 409
    assert received.json()["status"] == "received"
    assert (await _level(stock, "central", "LAB2-GLUE-PUMP"))["on_hand"] == 3
    assert (await stock.get("/api/stock/warnings", headers=DESK)).json() == []
    assert pending.json() == []
    assert missing.status_code == 404
    assert bad.status_code == 422 and bad.json()["detail"] == "there is no store nope"


async def test_an_approved_transfer_of_a_serialized_part_moves_named_units(
    stock: httpx.AsyncClient, ticket: int
) -> None:
    ask = {
        "part_number": "FIL12-BRG-KIT",
        "quantity": 2,
        "purpose": "bearing noise on line 1",
        "store_id": "van-demo-field-1",
        "from_store_id": "central",
        "ticket_id": ticket,
        "emergency": True,
    }

    rid = (await stock.post("/api/requisitions", json=ask, headers=DESK)).json()["id"]
    approved = await stock.post(
        f"/api/requisitions/{rid}/decision", json={"approve": True}, headers=PARTS
    )
    moves = (await stock.get("/api/ledger", params={"ticket_id": ticket}, headers=DESK)).json()

    assert approved.json()["status"] == "approved"
    arrived = [m["serial"] for m in moves if m["kind"] == "transfer_in"]
    assert len(set(arrived)) == 2 and None not in arrived
    for serial in arrived:
        trace = (await stock.get(f"/api/serials/FIL12-BRG-KIT/{serial}", headers=DESK)).json()
        assert (trace["state"], trace["store_id"]) == ("in_store", "van-demo-field-1")
    assert (await _level(stock, "central", "FIL12-BRG-KIT"))["on_hand"] == 1


async def test_a_parts_manager_adds_stores_and_a_van_belongs_to_a_field_engineer(
    stock: httpx.AsyncClient,
) -> None:
    regional = {
        "id": "regional-vienna",
        "name": "Regional store Vienna",
        "kind": "regional",
        "region": "austria",
    }

    created = await stock.post("/api/stores", json=regional, headers=PARTS)
    again = await stock.post("/api/stores", json=regional, headers=PARTS)
    changed = await stock.post("/api/stores", json=regional | {"name": "Wien"}, headers=PARTS)
    by_desk = await stock.post("/api/stores", json=regional | {"id": "x"}, headers=DESK)
    desk_van = await stock.post(
        "/api/stores",
        json={"id": "van-desk", "name": "Desk van", "kind": "van", "owner_login": "demo-desk"},
        headers=PARTS,
    )
    second_van = await stock.post(
        "/api/stores",
        json={"id": "van-2", "name": "Van", "kind": "van", "owner_login": "demo-field-1"},
        headers=PARTS,
    )
    ownerless_van = await stock.post(
        "/api/stores", json={"id": "van-x", "name": "Van", "kind": "van"}, headers=PARTS
    )

    assert created.status_code == 201 and again.status_code == 200
    assert changed.status_code == 409 and by_desk.status_code == 403
    assert desk_van.status_code == 422 and "no field engineer" in desk_van.json()["detail"]
    assert second_van.status_code == 409 and "van-demo-field-1" in second_van.json()["detail"]
    assert ownerless_van.status_code == 422
    assert (await stock.get("/api/stores/regional-vienna", headers=FIELD_1)).status_code == 200


async def test_customers_cannot_write_anything_of_stock(
    stock: httpx.AsyncClient, ticket: int
) -> None:
    writes = [
        ("PUT", "/api/stock/central/SENS-PX-M18", {"safety_stock": 1, "reorder_point": 1}),
        ("POST", "/api/stores", {"id": "x-1", "name": "x", "kind": "regional"}),
        ("POST", "/api/requisitions/1/decision", {"approve": True}),
        ("POST", "/api/requisitions/1/receipt", {"serials": []}),
        (
            "POST",
            "/api/serials/replacements",
            {
                "ticket_id": ticket,
                "machine_id": "l1-filler",
                "position": "main-drive",
                "removed_serial": "BRG-2024-0117",
                "part_number": "FIL12-BRG-KIT",
                "serial": "X",
                "failure_reason": "x",
                "store_id": "central",
            },
        ),
    ]
    for method, path, body in writes:
        answer = await stock.request(method, path, json=body, headers=NORDBRAU)
        assert answer.status_code == 403, path
    inside = await stock.get("/api/machines/l1-filler/installed-parts", headers=NORDBRAU)
    assert "BRG-2024-0117" in inside.text  # nothing was swapped
