"""The demo's worked ticket goes from the warning to the archive through the real API:
it links to the filler's manual page for bearing wear, the desk reserves the suggested
bearing kit in the nearest store, the report books its serial into the filler; and
the service KPIs count it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from launcher.demo_story import DemoStory, StoryPace
from launcher.knowledge_cli import seed_demo_knowledge
from launcher.parts_demo import seed_demo_parts
from launcher.service_history_demo import seed_service_history
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU
from tests.api.factories import T0, insert_ticket
from tests.api.part_suggestion_factories import insert_fault_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

_QUICK = StoryPace(step_s=0.0, poll_s=0.05, breakdown_wait_s=0.0)


@pytest.fixture
def fixed_clock(app: FastAPI) -> None:
    app.state.ticket_clock = lambda: T0 + timedelta(hours=1)


KIT, OLD = "FIL12-BRG-KIT", "BRG-2024-0117"  # the kit in l1-filler's main drive


async def test_the_story_works_the_warning_ticket_to_the_archive(
    fixed_clock: None,
    app: FastAPI,
    seeded_pool: Pool,
    plant: Plant,
    api_url: str,
    client: httpx.AsyncClient,
) -> None:
    async with seeded_pool.connection() as conn:
        seeded_at = T0 - timedelta(days=500)
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=seeded_at)
        await seed_demo_knowledge(conn, config_dir=PLANT_FILE.parent, at=seeded_at)
        assert await seed_service_history(conn, plant=plant, now=T0) > 0
        assert await seed_service_history(conn, plant=plant, now=T0) == 0  # once
        # The warning's ticket, as the demo's alert opens it: driven by the drive's signals.
        ticket_id = await insert_fault_ticket(
            conn,
            machine_id="l1-filler",
            received_at=T0,
            signals=("vibration_rms", "bearing_temp"),
            status="registered",
        )
        await conn.commit()
    knowledge = (await client.get(f"/api/tickets/{ticket_id}/knowledge", headers=DESK)).json()
    manual = "FIL-12 fault 201: main drive bearing failure"
    assert manual in [link["entry"]["title"] for link in knowledge["links"]]
    suggested = (
        await client.get(f"/api/tickets/{ticket_id}/part-suggestions", headers=DESK)
    ).json()
    assert suggested["suggestions"][0]["part_number"] == KIT

    await DemoStory(api_url, pace=_QUICK).tell()

    ticket = (await client.get(f"/api/tickets/{ticket_id}", headers=DESK)).json()
    assert ticket["status"] == "archived"
    moves = [e["new_value"] for e in ticket["events"] if e["field"] == "status"]
    assert moves == [
        "classified",
        "remote_diagnosis",
        "dispatched",
        "en_route",
        "on_site",
        "repaired",
        "verified",
        "signed_off",
        "survey",
        "reviewed",
        "archived",
    ]
    actors = {e["new_value"]: e["actor"] for e in ticket["events"] if e["field"] == "status"}
    assert actors["remote_diagnosis"] == "demo-support"
    assert actors["on_site"].startswith("demo-field-")
    assert actors["signed_off"] == "demo-nordbrau"

    report = (await client.get(f"/api/tickets/{ticket_id}/report", headers=NORDBRAU)).json()
    (line,) = report["report"]["parts"]
    assert (line["part_number"], line["position"], line["removed_serial"]) == (
        KIT,
        "main-drive",
        OLD,
    )
    # The dispatch reserved the kit in Hamburg (next to the site); the report used it.
    ledger = (await client.get("/api/ledger", params={"ticket_id": ticket_id}, headers=DESK)).json()
    booked = sorted((e["kind"], e["store_id"]) for e in ledger)
    assert booked == [
        ("issue", "regional-hamburg"),
        ("reservation", "regional-hamburg"),
        ("return", "central"),
    ]
    installed = (await client.get("/api/machines/l1-filler/installed-parts", headers=DESK)).json()
    (drive,) = [p for p in installed if p["position"] == "main-drive"]
    assert drive["serial"] == line["serial"] != OLD
    trace = (await client.get(f"/api/serials/{KIT}/{line['serial']}", headers=DESK)).json()
    assert [e["kind"] for e in trace["events"]][-2:] == ["issued", "installed"]
    assert trace["events"][-1]["ticket_id"] == ticket_id
    survey = (await client.get(f"/api/tickets/{ticket_id}/survey", headers=NORDBRAU)).json()
    assert survey["survey"]["overall"] == 5
    assert survey["callbacks"][0]["problem_gone"] is True

    app.state.ticket_clock = lambda: T0 + timedelta(hours=2)  # the KPIs a while later
    kpis = (
        await client.get(
            "/api/kpis/service",
            params={"group_by": "month", "from": "2026-03-01", "to": "2026-03-31"},
            headers=DESK,
        )
    ).json()
    assert kpis["total"]["satisfaction"] == 5
    assert kpis["total"]["first_time_fix"]["hits"] == 1


async def test_the_story_leaves_a_ticket_someone_already_works(
    fixed_clock: None, seeded_pool: Pool, api_url: str, client: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        ticket_id = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            status="classified",
        )

    await DemoStory(api_url, pace=_QUICK).tell()

    ticket = (await client.get(f"/api/tickets/{ticket_id}", headers=DESK)).json()
    assert ticket["status"] == "classified"
