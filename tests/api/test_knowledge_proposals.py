"""What a repair taught comes back to the knowledge base as a proposal to review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from launcher.knowledge_cli import seed_demo_knowledge
from models.service_report import (
    CapaAction,
    CapaKind,
    ReplacedPart,
    RootCauseAnalysis,
    ServiceReportDraft,
)
from storage import service_report_store
from storage.connections import Pool
from tests.api.closure_factories import move
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
BEARING_PAGE = "FIL-12 fault 201: main drive bearing failure"


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(days=1))
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def manual(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await seed_demo_knowledge(conn, config_dir=CONFIG_DIR, at=T0 - timedelta(days=30))


async def _closed_ticket(
    pool: Pool,
    *,
    customer: str,
    machine: str,
    line: str,
    model: str,
    fault_code: int,
    report: bool = True,
) -> int:
    """A ticket in its survey, with a stop's fault code, a service report and an RCA that
    name the customer and their contact."""
    async with pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id=customer, line_id=line, machine_id=machine, status="survey"
        )
        await conn.execute("UPDATE tickets SET machine_model = %s WHERE id = %s", (model, ticket))
        await conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, note, field, new_value)"
            " VALUES (%s, %s, 'machine_stop', 'breakdown', 'fault_code', %s)",
            (ticket, T0, str(fault_code)),
        )
        if not report:
            return ticket
        draft = ServiceReportDraft(
            symptoms="Grinding noise at the Nordbrau GmbH filler, Anna Keller called it in",
            diagnosis="Outer race pitted; greaser line kinked behind the guard",
            root_cause="Greaser line kinked after the Hamburg brewery's wash-down rebuild",
            actions_taken="Replaced the bearing pair and re-routed the greaser line",
            state_before="Stopped on fault",
            state_after="Running, vibration 1.9 mm/s",
            failure_at=T0,
            arrived_at=T0 + timedelta(hours=3),
            restored_at=T0 + timedelta(hours=6),
            advice="Check the greaser line after every wash-down rebuild",
            parts=(ReplacedPart("FIL12-BRG-KIT", "BRG-0042", 1, "main-drive"),),
        )
        await service_report_store.insert_report(
            conn, ticket_id=ticket, draft=draft, by="eng", role="field_engineer", at=T0
        )
        await service_report_store.save_rca(
            conn,
            rca=RootCauseAnalysis(
                ticket_id=ticket,
                root_cause="Greaser line kinked at Nordbrau GmbH after a rebuild",
                method="5 whys",
                actions=(
                    CapaAction(CapaKind.CORRECTIVE, "Re-route the greaser line", "field"),
                    CapaAction(CapaKind.PREVENTIVE, "Add a line check to wash-down", "planning"),
                ),
                analysed_by="demo-support",
                analysed_at=T0,
            ),
        )
    return ticket


async def _page(client: httpx.AsyncClient, title: str, headers: dict[str, str]) -> httpx.Response:
    hits = (await client.get("/api/knowledge", params={"q": title}, headers=SUPPORT)).json()
    entry_id = next(h["entry"]["id"] for h in hits if h["entry"]["title"] == title)
    return await client.get(f"/api/knowledge/{entry_id}", headers=headers)


async def test_a_reviewed_ticket_proposes_an_addition_to_its_fault_code_page(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None, clock: Clock
) -> None:
    ticket = await _closed_ticket(
        seeded_pool,
        customer="nordbrau",
        machine="l1-filler",
        line="line-1",
        model="FIL-12",
        fault_code=201,
    )
    # Reviewed a day after the repair: the addition is dated by the repair.
    reviewed = await move(client, ticket, "reviewed", SUPPORT, "all fine")
    assert reviewed.status_code == 200, reviewed.text

    detail = (await _page(client, BEARING_PAGE, SUPPORT)).json()
    entry = detail["entry"]
    assert (entry["status"], entry["version"], entry["published_version"]) == ("draft", 2, 1)
    assert entry["audience"] == "internal"  # until support edits it for customers
    assert entry["written_by"] == "LineCare (proposed from a reviewed ticket)"
    assert entry["source_ticket"]["id"] == ticket
    assert (
        "From a repair on 2026-03-02:\nGreaser line kinked at [customer] after a rebuild"
        in (entry["causes"])
    )
    assert "- Preventive: Add a line check to wash-down" in entry["remedies"]
    text = " ".join(str(entry[f]) for f in ("symptoms", "causes", "checks", "remedies", "body"))
    for name in ("Nordbrau", "Anna Keller", "Hamburg brewery"):
        assert name.lower() not in text.lower()
    assert [p["addition"] for p in detail["proposals"]] == [True]
    assert detail["versions"][0]["edited_by"] == "linecare"

    # The customer keeps reading the published page; the proposal is not theirs to see.
    customer = (await _page(client, BEARING_PAGE, NORDBRAU)).json()["entry"]
    assert customer["version"] == 1
    # Nothing tells the customer that a draft is on its way.
    assert (customer["status"], customer["current_version"]) == ("published", 1)
    assert customer["pending_review"] is False
    drafts = await client.get("/api/knowledge", params={"status": "draft"}, headers=NORDBRAU)
    assert drafts.json() == []
    assert "From a repair" not in customer["causes"]
    assert customer["source_ticket"] is None

    # Asked again, the ticket's proposal is the one it made.
    again = await client.post(
        "/api/knowledge/proposals", json={"ticket_id": ticket}, headers=SUPPORT
    )
    assert again.status_code == 200
    assert (again.json()["entry_id"], again.json()["version"]) == (entry["id"], 2)


async def test_an_unknown_fault_becomes_a_new_entry_that_reaches_customers_once_published(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None, clock: Clock
) -> None:
    ticket = await _closed_ticket(
        seeded_pool,
        customer="alpenpack",
        machine="l3-packer",
        line="line-3",
        model="PK-9",
        fault_code=977,
    )
    assert (
        await client.post("/api/knowledge/proposals", json={"ticket_id": ticket}, headers=DESK)
    ).status_code == 403
    made = await client.post(
        "/api/knowledge/proposals", json={"ticket_id": ticket}, headers=SUPPORT
    )
    assert made.status_code == 201, made.text
    assert made.json()["addition"] is False
    url = f"/api/knowledge/{made.json()['entry_id']}"
    entry = (await client.get(url, headers=SUPPORT)).json()["entry"]
    assert entry["kind"] == "fault_code"
    assert (entry["machine_models"], entry["fault_codes"]) == (["PK-9"], [977])
    assert entry["title"].startswith("PK-9 fault 977: Greaser line kinked at [customer]")
    assert [p["part_number"] for p in entry["parts"]] == ["FIL12-BRG-KIT"]
    assert (await client.get(url, headers=ALPENPACK)).status_code == 404

    edit = {
        "kind": "fault_code",
        "audience": "customers",
        "title": "PK-9 fault 977: greaser line kinked",
        "machine_models": ["PK-9"],
        "fault_codes": [977],
        "causes": "Greaser line kinked after a rebuild",
        "base_version": 1,
        "change_note": "written for customers",
    }
    clock.advance(hours=1)
    assert (await client.put(url, json=edit, headers=SUPPORT)).status_code == 200
    await client.post(f"{url}/transitions", json={"to": "in_review"}, headers=SUPPORT)
    published = await client.post(f"{url}/transitions", json={"to": "published"}, headers=SUPPORT)
    assert published.json()["entry"]["published_version"] == 2

    seen = await client.get(url, headers=ALPENPACK)
    assert seen.status_code == 200
    assert seen.json()["entry"]["written_by"] == "Support engineer (demo)"
    assert (await client.get(url, headers=NORDBRAU)).status_code == 404  # not their model


async def test_a_ticket_without_report_or_rca_proposes_nothing_and_still_moves(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None, clock: Clock
) -> None:
    ticket = await _closed_ticket(
        seeded_pool,
        customer="nordbrau",
        machine="l1-filler",
        line="line-1",
        model="FIL-12",
        fault_code=201,
        report=False,
    )
    assert (await move(client, ticket, "reviewed", SUPPORT)).status_code == 200
    assert (await _page(client, BEARING_PAGE, SUPPORT)).json()["entry"]["version"] == 1
    asked = await client.post(
        "/api/knowledge/proposals", json={"ticket_id": ticket}, headers=SUPPORT
    )
    assert asked.status_code == 409
    assert "no service report" in asked.json()["detail"]
    missing = await client.post(
        "/api/knowledge/proposals", json={"ticket_id": 10**9}, headers=SUPPORT
    )
    assert missing.status_code == 404
