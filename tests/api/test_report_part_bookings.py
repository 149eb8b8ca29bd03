"""The service report's parts list books the movements: the reserved kit issued (the
reservation used), its serial installed in the filler's main drive, the old unit
removed with its failure reason, returned faulty and scrapped; the serial trace shows
the whole replace-and-return cycle, and filing the report again books nothing twice."""

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
OLD = "BRG-2024-0117"  # in l1-filler's main drive (config/installed_base.csv)
HAMBURG = "regional-hamburg"


@pytest.fixture
async def clock(app: FastAPI, seeded_pool: Pool, plant: Plant) -> AsyncIterator[Clock]:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    fixed = Clock(T0)
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def on_site(client: httpx.AsyncClient, clock: Clock) -> int:
    """The filler's ticket, dispatched with Hamburg's bearing kit reserved; the engineer
    is on site."""
    ticket = await classified_ticket(client)
    clock.advance(minutes=10)
    kit = [{"part_number": KIT, "store_id": HAMBURG, "quantity": 1}]
    assert (await dispatch(client, ticket, "demo-field-1", reserve=kit)).status_code == 201
    for step in ("en_route", "on_site"):
        clock.advance(minutes=30)
        assert (await move(client, ticket, step, FIELD_1)).status_code == 200
    return ticket


def _report(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "symptoms": "Grinding noise at the main drive",
        "diagnosis": "Outer race pitted",
        "root_cause": "Bearing wear",
        "actions_taken": "Replaced the main drive bearing kit",
        "state_after": "Running quietly",
        "failure_at": T0.isoformat(),
        "arrived_at": T0.isoformat(),
        "restored_at": T0.isoformat(),
        "parts": parts,
    }


async def _hamburg_kit(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    ledger = await client.get(
        "/api/ledger", params={"store_id": HAMBURG, "part_number": KIT}, headers=DESK
    )
    (receipt,) = [e for e in ledger.json() if e["kind"] == "receipt"]
    level = await client.get(
        "/api/stock", params={"store_id": HAMBURG, "part_number": KIT}, headers=DESK
    )
    return str(receipt["serial"]), dict(level.json()[0])


async def test_filing_the_report_books_the_whole_replace_and_return_cycle(
    client: httpx.AsyncClient, on_site: int, clock: Clock
) -> None:
    new, level = await _hamburg_kit(client)
    assert (level["on_hand"], level["reserved"]) == (1, 1)
    line = {
        "part_number": KIT,
        "serial": new,
        "quantity": 1,
        "position": "main-drive",
        "removed_serial": OLD,
        "failure_reason": "outer race pitted after 18 months",
        "returned_to": "central",
        "scrapped": True,
    }
    clock.advance(hours=2)

    filed = await client.put(
        f"/api/tickets/{on_site}/report", json=_report([line]), headers=FIELD_1
    )

    assert filed.status_code == 200, filed.text
    assert filed.json()["report"]["parts"][0]["issued_from"] == ""  # the reservation's store
    _, level = await _hamburg_kit(client)
    assert (level["on_hand"], level["reserved"]) == (0, 0)  # the reservation was used
    installed = await client.get("/api/machines/l1-filler/installed-parts", headers=DESK)
    drive = [p for p in installed.json() if p["position"] == "main-drive"]
    assert [(p["part_number"], p["serial"]) for p in drive] == [(KIT, new)]

    fitted = (await client.get(f"/api/serials/{KIT}/{new}", headers=DESK)).json()
    assert [e["kind"] for e in fitted["events"]] == ["received", "issued", "installed"]
    assert fitted["events"][-1]["machine_id"] == "l1-filler"
    assert fitted["events"][-1]["position"] == "main-drive"
    assert fitted["events"][-1]["ticket_id"] == on_site
    removed = (await client.get(f"/api/serials/{KIT}/{OLD}", headers=DESK)).json()
    kinds = [e["kind"] for e in removed["events"]]
    assert kinds[-3:] == ["removed", "returned", "scrapped"]
    removal = removed["events"][-3]
    assert (removal["ticket_id"], removal["reason"]) == (
        on_site,
        "outer race pitted after 18 months",
    )
    assert removed["events"][-2]["store_id"] == "central"

    ledger_before = (
        await client.get("/api/ledger", params={"ticket_id": on_site}, headers=DESK)
    ).json()
    assert sorted(e["kind"] for e in ledger_before) == ["issue", "reservation", "return", "scrap"]
    clock.advance(minutes=20)
    again = await client.put(
        f"/api/tickets/{on_site}/report", json=_report([line]), headers=FIELD_1
    )
    assert again.status_code == 200, again.text
    assert again.json()["report"]["version"] == 2
    ledger_after = (
        await client.get("/api/ledger", params={"ticket_id": on_site}, headers=DESK)
    ).json()
    assert len(ledger_after) == len(ledger_before)  # nothing booked twice

    jobs = (await client.get("/api/my-jobs", headers=FIELD_1)).json()
    (job,) = [j for j in jobs if j["order"]["ticket_id"] == on_site]
    assert job["parts_to_bring"] == []
    assert [(p["store_id"], p["part_number"], p["issued"]) for p in job["parts_used"]] == [
        (HAMBURG, KIT, 1)
    ]


async def test_a_line_the_stock_refuses_files_nothing(
    client: httpx.AsyncClient, on_site: int
) -> None:
    wrong_serial = {
        "part_number": KIT,
        "serial": "NOT-IN-HAMBURG",
        "position": "main-drive",
        "removed_serial": OLD,
    }
    refused = await client.put(
        f"/api/tickets/{on_site}/report", json=_report([wrong_serial]), headers=FIELD_1
    )
    assert refused.status_code == 409, refused.text
    state = (await client.get(f"/api/tickets/{on_site}/report", headers=DESK)).json()
    assert state["report"] is None
    _, level = await _hamburg_kit(client)
    assert (level["on_hand"], level["reserved"]) == (1, 1)

    other_van = {"part_number": "SENS-PX-M18", "quantity": 1, "issued_from": "van-demo-field-2"}
    refused = await client.put(
        f"/api/tickets/{on_site}/report", json=_report([other_van]), headers=FIELD_1
    )
    assert refused.status_code == 409
    assert "not reserved for this ticket" in refused.text


async def test_a_part_outside_the_catalogue_is_recorded_but_not_booked(
    client: httpx.AsyncClient, on_site: int
) -> None:
    text_only = {"part_number": "CABLE-TIE", "quantity": 20, "position": "guard"}
    filed = await client.put(
        f"/api/tickets/{on_site}/report", json=_report([text_only]), headers=FIELD_1
    )
    assert filed.status_code == 200, filed.text
    ledger = (await client.get("/api/ledger", params={"ticket_id": on_site}, headers=DESK)).json()
    assert [e["kind"] for e in ledger] == ["reservation"]
