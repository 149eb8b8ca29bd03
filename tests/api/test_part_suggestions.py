"""GET /api/tickets/{id}/part-suggestions: the parts to bring, ranked from the machine
model's past repairs and the knowledge base, with how often each fixed the fault and
its stock in the nearest stores; the service team's only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.knowledge_cli import seed_demo_knowledge
from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0
from tests.api.part_suggestion_factories import insert_fault_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

KIT, SENSOR, SEAL = "FIL12-BRG-KIT", "SENS-PX-M18", "FIL12-VALVE-SEAL"
FIELD_1 = {"Authorization": "Bearer demo-field-1"}
DAY = timedelta(days=1)
BEARING_SIGNALS = ("vibration_rms", "bearing_temp")


@pytest.fixture
async def history(app: FastAPI, seeded_pool: Pool, plant: Plant) -> int:
    """A bearing ticket on l1-filler today, after a year of the fillers' repairs."""
    start = T0 - 365 * DAY
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=start)
        await seed_demo_knowledge(conn, config_dir=PLANT_FILE.parent, at=start)
        for day, machine in ((10, "l1-filler"), (90, "l2-filler"), (200, "l2-filler")):
            await insert_fault_ticket(
                conn,
                machine_id=machine,
                line_id="line-1" if machine == "l1-filler" else "line-2",
                received_at=start + day * DAY,
                fault_codes=[201],
                signals=BEARING_SIGNALS,
                parts=[KIT],
            )
        # A sensor swapped for fault 201 that came back ten days later: not a fix.
        await insert_fault_ticket(
            conn,
            machine_id="l1-filler",
            received_at=start + 250 * DAY,
            fault_codes=[201],
            signals=BEARING_SIGNALS,
            parts=[SENSOR],
        )
        await insert_fault_ticket(
            conn,
            machine_id="l1-filler",
            received_at=start + 260 * DAY,
            fault_codes=[201],
            signals=BEARING_SIGNALS,
            parts=[KIT],
        )
        for day in (30, 120, 300):
            await insert_fault_ticket(
                conn,
                machine_id="l1-filler",
                received_at=start + day * DAY,
                fault_codes=[103],
                signals=("fill_level",),
                parts=[SEAL],
            )
        ticket = await insert_fault_ticket(
            conn,
            machine_id="l1-filler",
            received_at=T0,
            fault_codes=[201],
            signals=BEARING_SIGNALS,
            status="classified",
        )
        await conn.commit()
    app.state.ticket_clock = lambda: T0 + timedelta(hours=1)
    return ticket


async def _suggestions(
    client: httpx.AsyncClient, ticket: int, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    answer = await client.get(
        f"/api/tickets/{ticket}/part-suggestions", params=params, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_bearing_kit_leads_with_its_fix_rate_manual_and_nearest_stock(
    client: httpx.AsyncClient, history: int
) -> None:
    found = await _suggestions(client, history, DESK)

    assert found["fault_codes"] == [201]
    assert found["repairs_considered"] == 8
    manual = "FIL-12 fault 201: main drive bearing failure"
    assert manual in [k["title"] for k in found["knowledge"]]
    first, second = found["suggestions"][:2]
    assert first["part_number"] == KIT
    assert first["evidence_level"] == "fault_code"
    assert (first["used_on"], first["fixed"], first["judged"]) == (4, 4, 4)
    assert first["knowledge_entries"] == [manual, "Vibration rising on the filler drive"]
    assert "fixed the fault 4 of 4 times (no repeat within 30 days)" in first["reasons"]
    assert second["part_number"] == SENSOR
    assert (second["used_on"], second["fixed"], second["judged"]) == (1, 0, 1)
    seal = next(s for s in found["suggestions"] if s["part_number"] == SEAL)
    assert seal["rank"] > second["rank"]  # used on another fault code
    # The site is in north-germany: Hamburg's store first, then the central store.
    stores = [(s["store_id"], s["nearness"], s["available"]) for s in first["stock"]]
    assert stores == [("regional-hamburg", 1, 1), ("central", 2, 3)]


async def test_the_engineers_van_comes_first(client: httpx.AsyncClient, history: int) -> None:
    found = await _suggestions(client, history, SUPPORT, engineer="demo-field-1")

    sensor = next(s for s in found["suggestions"] if s["part_number"] == SENSOR)
    assert [s["store_id"] for s in sensor["stock"]] == [
        "van-demo-field-1",
        "regional-hamburg",
        "central",
        "regional-zurich",
    ]
    assert sensor["stock"][0] == {
        "store_id": "van-demo-field-1",
        "store_name": sensor["stock"][0]["store_name"],
        "store_kind": "van",
        "nearness": 0,
        "available": 4,
        "on_hand": 4,
        "held_for_ticket": 0,
    }


async def test_customers_and_other_engineers_get_404(
    client: httpx.AsyncClient, history: int
) -> None:
    for headers in (NORDBRAU, ALPENPACK, FIELD_1):
        answer = await client.get(f"/api/tickets/{history}/part-suggestions", headers=headers)
        assert answer.status_code == 404, headers
    missing = await client.get("/api/tickets/999999/part-suggestions", headers=DESK)
    assert missing.status_code == 404
