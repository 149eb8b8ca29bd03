"""/api/parts, /api/machines/{id}/installed-parts and /api/serials: the catalogue, the
installed base and a serialized unit's trace, with who may read and change them."""

from __future__ import annotations

from datetime import timedelta

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
FIELD_2 = {"Authorization": "Bearer demo-field-2"}
NEW_PART = {
    "part_number": "FIL12-FLOW-METER",
    "description": "Filler flow meter",
    "part_class": "critical",
    "serialized": True,
    "unit_cost": "1890.00",
    "currency": "EUR",
    "supplier": "Krohne",
    "lead_time_days": 30,
    "fits": [{"machine_model": "FIL-12", "position": "flow-meter"}],
}


@pytest.fixture
async def parts(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool, plant: Plant
) -> httpx.AsyncClient:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    app.state.ticket_clock = lambda: T0 + timedelta(days=1)
    return client


async def test_staff_read_the_catalogue_and_customers_are_refused(
    parts: httpx.AsyncClient,
) -> None:
    for staff in (DESK, SUPPORT, FIELD_1, PARTS):
        answer = await parts.get("/api/parts", headers=staff)
        assert answer.status_code == 200
    listing = await parts.get("/api/parts", params={"machine_model": "CAP-6"}, headers=DESK)
    kit = await parts.get("/api/parts/FIL12-BRG-KIT", headers=SUPPORT)

    assert [p["part_number"] for p in listing.json()] == [
        "CAP6-CHUCK",
        "CAP6-TORQUE-CLUTCH",
        "SENS-PHOTO-WL12",
        "SENS-PX-M18",
    ]
    assert kit.json()["unit_cost"] == "1480.00" and kit.json()["serialized"] is True
    assert kit.json()["fits"] == [{"machine_model": "FIL-12", "position": "main-drive"}]
    for path in ("/api/parts", "/api/parts/FIL12-BRG-KIT", "/api/serials/FIL12-BRG-KIT/x"):
        refused = await parts.get(path, headers=NORDBRAU)
        assert refused.status_code == 403, path
        assert "FIL12" not in refused.text


async def test_a_parts_manager_adds_a_part_once_and_edits_it(parts: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "flow-meter-1"}

    created = await parts.post("/api/parts", json=NEW_PART, headers=PARTS | key)
    again = await parts.post("/api/parts", json=NEW_PART, headers=PARTS | key)
    taken = await parts.post("/api/parts", json=NEW_PART, headers=PARTS)
    edited = await parts.put(
        "/api/parts/FIL12-FLOW-METER",
        json={k: v for k, v in NEW_PART.items() if k != "part_number"} | {"lead_time_days": 45},
        headers=PARTS,
    )

    assert created.status_code == 201 and created.json()["updated_by"] == "demo-parts"
    assert again.status_code == 200 and again.json() == created.json()
    assert taken.status_code == 409
    assert edited.status_code == 200 and edited.json()["lead_time_days"] == 45


async def test_only_parts_authority_writes_and_bad_parts_are_refused_with_a_reason(
    parts: httpx.AsyncClient,
) -> None:
    for other in (DESK, SUPPORT, FIELD_1, NORDBRAU):
        assert (await parts.post("/api/parts", json=NEW_PART, headers=other)).status_code == 403
    lower = await parts.post(
        "/api/parts", json=NEW_PART | {"part_number": "bad one"}, headers=PARTS
    )
    currency = await parts.post("/api/parts", json=NEW_PART | {"currency": "euro"}, headers=PARTS)
    missing = await parts.put(
        "/api/parts/NOPE-1",
        json={k: v for k, v in NEW_PART.items() if k != "part_number"},
        headers=PARTS,
    )
    unserialize = await parts.put(
        "/api/parts/FIL12-BRG-KIT",
        json={k: v for k, v in NEW_PART.items() if k != "part_number"} | {"serialized": False},
        headers=PARTS,
    )

    assert lower.status_code == 422 and "part number 'bad one'" in lower.json()["detail"]
    assert currency.status_code == 422
    assert missing.status_code == 404
    assert unserialize.status_code == 409 and "serialized stays" in unserialize.json()["detail"]


async def test_a_customer_reads_the_installed_base_of_their_own_machines_only(
    parts: httpx.AsyncClient,
) -> None:
    own = await parts.get("/api/machines/l1-filler/installed-parts", headers=NORDBRAU)
    other = await parts.get("/api/machines/l1-filler/installed-parts", headers=ALPENPACK)
    unknown = await parts.get("/api/machines/nope/installed-parts", headers=ALPENPACK)
    staff = await parts.get("/api/machines/l3-packer/installed-parts", headers=FIELD_2)

    assert own.status_code == 200
    assert [(p["position"], p["part_number"], p["serial"]) for p in own.json()] == [
        ("bowl-level", "FIL12-LEVEL-PROBE", "LVP-2023-0542"),
        ("filling-valves", "FIL12-VALVE-SEAL", None),
        ("infeed-sensor", "SENS-PX-M18", None),
        ("main-drive", "FIL12-BRG-KIT", "BRG-2024-0117"),
    ]
    assert own.json()[3]["description"].startswith("Filler main drive bearing kit")
    assert other.status_code == 404 and other.json()["detail"] == "machine 'l1-filler' not found"
    assert unknown.status_code == 404
    assert staff.status_code == 200 and len(staff.json()) == 2


async def test_a_replacement_moves_the_installed_base_and_shows_in_the_serial_trace(
    parts: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        await conn.commit()
    stock = await parts.get(
        "/api/ledger",
        params={"store_id": "central", "part_number": "FIL12-BRG-KIT"},
        headers=PARTS,
    )
    unit = stock.json()[0]["serial"]
    moved = await parts.post(
        "/api/ledger",
        json={
            "kind": "transfer_out",
            "store_id": "central",
            "part_number": "FIL12-BRG-KIT",
            "quantity": 1,
            "serial": unit,
            "to_store_id": "van-demo-field-1",
            "emergency": True,
            "ticket_id": ticket,
        },
        headers=PARTS,
    )
    swap = {
        "ticket_id": ticket,
        "machine_id": "l1-filler",
        "position": "main-drive",
        "removed_serial": "BRG-2024-0117",
        "part_number": "FIL12-BRG-KIT",
        "serial": unit,
        "failure_reason": "outer race spalling",
        "store_id": "van-demo-field-1",
    }

    foreign_van = await parts.post("/api/serials/replacements", json=swap, headers=FIELD_2)
    replaced = await parts.post("/api/serials/replacements", json=swap, headers=FIELD_1)
    twice = await parts.post("/api/serials/replacements", json=swap, headers=FIELD_1)
    inside = await parts.get(
        "/api/machines/l1-filler/installed-parts", params={"history": True}, headers=NORDBRAU
    )
    trace = await parts.get(f"/api/serials/FIL12-BRG-KIT/{unit}", headers=DESK)
    old = await parts.get("/api/serials/FIL12-BRG-KIT/BRG-2024-0117", headers=DESK)
    unknown = await parts.get("/api/serials/FIL12-BRG-KIT/NOPE", headers=DESK)

    assert moved.status_code == 201
    assert foreign_van.status_code == 403
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["removed"]["serial"] == "BRG-2024-0117"
    assert twice.status_code == 409 and "not BRG-2024-0117" in twice.json()["detail"]
    drive = [p for p in inside.json() if p["position"] == "main-drive"]
    assert [(p["serial"], p["removal_reason"]) for p in drive] == [
        ("BRG-2024-0117", "outer race spalling"),
        (unit, None),
    ]
    assert trace.json()["state"] == "installed" and trace.json()["machine_id"] == "l1-filler"
    assert [e["kind"] for e in trace.json()["events"]] == [
        "received",
        "transferred",
        "issued",
        "installed",
    ]
    assert trace.json()["events"][2]["ticket_id"] == ticket
    assert old.json()["state"] == "removed" and old.json()["ticket_id"] == ticket
    assert [e["kind"] for e in old.json()["events"]] == ["installed", "removed"]
    assert unknown.status_code == 404
