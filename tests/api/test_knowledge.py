"""The knowledge base through the API: search, links, versions, review, who sees what."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alerts.parts_catalogue_import import read_catalogue
from launcher.knowledge_cli import seed_demo_knowledge
from storage import parts_store
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_alert, insert_ticket

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(minutes=10))
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def manual(seeded_pool: Pool) -> None:
    """The demo manual and the parts catalogue its entries name."""
    catalogue = read_catalogue((CONFIG_DIR / "parts_catalogue.csv").read_text(encoding="utf-8"))
    async with seeded_pool.connection() as conn:
        await parts_store.import_catalogue(conn, parts=catalogue.rows, by="test", at=T0)
        await seed_demo_knowledge(conn, config_dir=CONFIG_DIR, at=T0)


async def _entry_id(client: httpx.AsyncClient, title: str) -> int:
    hits = (await client.get("/api/knowledge", params={"q": title}, headers=SUPPORT)).json()
    return int(next(h["entry"]["id"] for h in hits if h["entry"]["title"] == title))


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "symptom",
        "audience": "customers",
        "title": "Filler carousel squeals at start-up",
        "machine_models": ["FIL-12"],
        "signals": ["motor_current"],
        "symptoms": "A short squeal when the carousel starts",
        "causes": "Dry cam track",
        "remedies": "Lubricate the cam track",
    }
    body.update(changes)
    return body


# ---------------------------------------------------------------- search


async def test_search_ranks_title_words_first_and_marks_them_in_the_snippet(
    client: httpx.AsyncClient, manual: None
) -> None:
    response = await client.get("/api/knowledge", params={"q": "vibration"}, headers=SUPPORT)
    assert response.status_code == 200
    hits = response.json()
    titles = [h["entry"]["title"] for h in hits]
    # "vibration" is in this title; the fault 201 page has it only in symptoms and body.
    assert titles[0] == "Vibration rising on the filler drive"
    assert "FIL-12 fault 201: main drive bearing failure" in titles
    assert hits[0]["rank"] > hits[-1]["rank"]
    marked = [p["text"] for p in hits[0]["snippet"] if p["match"]]
    assert marked and all(word.lower().startswith("vibrat") for word in marked)
    assert "".join(p["text"] for p in hits[0]["snippet"]).count("\x01") == 0


async def test_search_takes_web_syntax_and_filters(client: httpx.AsyncClient, manual: None) -> None:
    phrase = await client.get(
        "/api/knowledge", params={"q": '"glue pump" -pallet'}, headers=SUPPORT
    )
    assert [h["entry"]["title"] for h in phrase.json()] == [
        "LAB-2 fault 102: labels or glue missing"
    ]
    by_code = await client.get(
        "/api/knowledge", params={"fault_code": 301, "machine_model": "CAP-6"}, headers=SUPPORT
    )
    assert [h["entry"]["title"] for h in by_code.json()] == [
        "Fault 301: starved by the upstream station"
    ]
    by_signal = await client.get(
        "/api/knowledge", params={"signal": "bearing_temp", "q": "bearing"}, headers=SUPPORT
    )
    assert {h["entry"]["title"] for h in by_signal.json()} == {
        "FIL-12 fault 201: main drive bearing failure",
        "Vibration rising on the filler drive",
        "Bearing temperature rising without more vibration",
    }
    drafts = await client.get("/api/knowledge", params={"status": "draft"}, headers=SUPPORT)
    assert drafts.json() == []
    published = await client.get(
        "/api/knowledge", params={"status": ["draft", "published"], "limit": 200}, headers=SUPPORT
    )
    assert len(published.json()) == 22


# ---------------------------------------------------------------- links


async def _filler_ticket(pool: Pool, *, fault_code: int | None, customer: str = "nordbrau") -> int:
    machine, line = ("l1-filler", "line-1") if customer == "nordbrau" else ("l3-packer", "line-3")
    async with pool.connection() as conn:
        ticket = await insert_ticket(conn, customer_id=customer, line_id=line, machine_id=machine)
        model = "FIL-12" if customer == "nordbrau" else "PK-9"
        await conn.execute("UPDATE tickets SET machine_model = %s WHERE id = %s", (model, ticket))
        if fault_code is not None:
            await conn.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, note, field, new_value)"
                " VALUES (%s, %s, 'machine_stop', 'stopped', 'fault_code', %s)",
                (ticket, T0, str(fault_code)),
            )
    return ticket


async def test_a_ticket_with_a_fault_code_links_to_its_manual_page_first(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None
) -> None:
    ticket = await _filler_ticket(seeded_pool, fault_code=201)
    response = await client.get(f"/api/tickets/{ticket}/knowledge", headers=DESK)
    assert response.status_code == 200
    body = response.json()
    assert body["machine_model"] == "FIL-12"
    assert body["fault_codes"] == [201]
    first = body["links"][0]
    assert first["entry"]["title"] == "FIL-12 fault 201: main drive bearing failure"
    assert first["reason"] == "fault_code"
    assert first["matched_codes"] == [201]
    assert first["entry"]["parts"] == [
        {
            "part_number": "FIL12-BRG-KIT",
            "description": "Filler main drive bearing kit (2 angular contact bearings,"
            " seals, grease)",
        }
    ]
    # Then the signal matches (the ticket's bearing_temp and vibration_rms), best first.
    rest = [(link["reason"], link["entry"]["title"]) for link in body["links"][1:]]
    assert rest[0] == ("signals", "Vibration rising on the filler drive")
    assert ("signals", "Bearing temperature rising without more vibration") in rest
    # Pages of other models never link, not even those of the same code.
    assert all("FIL-12" in link["entry"]["machine_models"] for link in body["links"])


async def test_a_machine_links_by_the_alert_signals_it_is_given(
    client: httpx.AsyncClient, manual: None
) -> None:
    response = await client.get(
        "/api/machines/l2-filler/knowledge",
        params={"signals": "vibration_rms,bearing_temp"},
        headers=SUPPORT,
    )
    links = response.json()["links"]
    assert [link["entry"]["title"] for link in links][:2] == [
        "Vibration rising on the filler drive",
        "FIL-12 fault 201: main drive bearing failure",
    ]
    assert links[0]["score"] > links[1]["score"]
    coded = await client.get(
        "/api/machines/l1-capper/knowledge", params={"fault_code": 103}, headers=SUPPORT
    )
    assert [link["entry"]["title"] for link in coded.json()["links"]] == [
        "CAP-6 fault 103: sensor blocked"
    ]
    nothing = await client.get("/api/machines/l1-capper/knowledge", headers=SUPPORT)
    assert nothing.json()["links"] == []


async def test_customers_get_links_only_to_their_published_entries_and_own_tickets(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None
) -> None:
    ticket = await _filler_ticket(seeded_pool, fault_code=201)
    mine = await client.get(f"/api/tickets/{ticket}/knowledge", headers=NORDBRAU)
    titles = [link["entry"]["title"] for link in mine.json()["links"]]
    assert titles[0] == "FIL-12 fault 201: main drive bearing failure"
    # The internal article on bearing temperature is for staff only.
    assert "Bearing temperature rising without more vibration" not in titles
    # Part descriptions come from the catalogue, which is staff's.
    assert mine.json()["links"][0]["entry"]["parts"][0]["description"] == ""
    other = await client.get(f"/api/tickets/{ticket}/knowledge", headers=ALPENPACK)
    assert other.status_code == 404
    machine = await client.get("/api/machines/l1-filler/knowledge", headers=ALPENPACK)
    assert machine.status_code == 404


# ---------------------------------------------------------------- writing and review


async def test_an_entry_is_written_reviewed_published_and_edited_in_versions(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    created = await client.post(
        "/api/knowledge", json=_body(), headers={**SUPPORT, "Idempotency-Key": "k1"}
    )
    assert created.status_code == 201
    entry = created.json()["entry"]
    assert (entry["status"], entry["version"], entry["published_version"]) == ("draft", 1, None)
    assert entry["written_by"] == "Support engineer (demo)"
    again = await client.post(
        "/api/knowledge", json=_body(), headers={**SUPPORT, "Idempotency-Key": "k1"}
    )
    assert (again.status_code, again.json()["entry"]["id"]) == (200, entry["id"])
    url = f"/api/knowledge/{entry['id']}"

    early = await client.post(f"{url}/transitions", json={"to": "published"}, headers=SUPPORT)
    assert early.status_code == 409
    assert "in_review" in early.json()["detail"]
    clock.advance(minutes=5)
    await client.post(f"{url}/transitions", json={"to": "in_review"}, headers=SUPPORT)
    clock.advance(minutes=5)
    published = await client.post(f"{url}/transitions", json={"to": "published"}, headers=SUPPORT)
    assert published.status_code == 200
    shown = published.json()["entry"]
    assert shown["status"] == "published"
    assert shown["published_by"] == "demo-support"
    assert shown["published_at"] == (T0 + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")

    clock.advance(hours=1)
    edit = _body(
        causes="Dry cam track; worn cam followers", base_version=1, change_note="followers"
    )
    edited = await client.put(url, json=edit, headers=SUPPORT)
    assert edited.status_code == 200
    detail = edited.json()
    assert (detail["entry"]["status"], detail["entry"]["version"]) == ("draft", 2)
    assert detail["entry"]["pending_review"] is True
    assert [(v["version"], v["published"], v["change_note"]) for v in detail["versions"]] == [
        (2, False, "followers"),
        (1, True, "created"),
    ]
    # Readers keep the published version while the edit waits for review.
    customer = await client.get(url, headers=NORDBRAU)
    assert customer.json()["entry"]["version"] == 1
    assert customer.json()["entry"]["causes"] == "Dry cam track"
    assert customer.json()["versions"] == []

    stale = await client.put(url, json=_body(base_version=1), headers=SUPPORT)
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    first = await client.get(f"{url}/versions/1", headers=SUPPORT)
    assert first.json()["causes"] == "Dry cam track"
    assert (await client.get(f"{url}/versions/1", headers=NORDBRAU)).status_code == 404


async def test_only_support_and_admin_write_and_review(
    client: httpx.AsyncClient, manual: None, clock: Clock
) -> None:
    assert (await client.post("/api/knowledge", json=_body(), headers=DESK)).status_code == 403
    assert (await client.post("/api/knowledge", json=_body(), headers=NORDBRAU)).status_code == 403
    entry_id = await _entry_id(client, "Vibration rising on the filler drive")
    move = {"to": "retired"}
    for who in (DESK, NORDBRAU):
        response = await client.post(
            f"/api/knowledge/{entry_id}/transitions", json=move, headers=who
        )
        assert response.status_code == 403
    edit = _body(base_version=1)
    assert (
        await client.put(f"/api/knowledge/{entry_id}", json=edit, headers=DESK)
    ).status_code == 403
    retired = await client.post(
        f"/api/knowledge/{entry_id}/transitions", json=move, headers=SUPPORT
    )
    assert retired.json()["entry"]["status"] == "retired"
    # A retired entry is gone for customers and no longer linked.
    assert (await client.get(f"/api/knowledge/{entry_id}", headers=NORDBRAU)).status_code == 404
    links = await client.get(
        "/api/machines/l1-filler/knowledge", params={"signals": "vibration_rms"}, headers=SUPPORT
    )
    assert entry_id not in [link["entry"]["id"] for link in links.json()["links"]]


# ---------------------------------------------------------------- visibility


async def test_customers_read_only_published_entries_for_their_own_models(
    client: httpx.AsyncClient, manual: None, clock: Clock
) -> None:
    nordbrau = {
        h["entry"]["title"] for h in (await client.get("/api/knowledge", headers=NORDBRAU)).json()
    }
    assert "FIL-12 fault 201: main drive bearing failure" in nordbrau
    assert "CE-4, PK-9, SL-3 fault 101: infeed jam" not in nordbrau  # Alpenpack's models
    assert "Motor current creeping up on the capper" not in nordbrau  # internal
    alpenpack = {
        h["entry"]["title"] for h in (await client.get("/api/knowledge", headers=ALPENPACK)).json()
    }
    assert "CE-4, PK-9, SL-3 fault 101: infeed jam" in alpenpack
    assert "FIL-12 fault 201: main drive bearing failure" not in alpenpack
    assert "Fault 301: starved by the upstream station" in alpenpack & nordbrau

    filler_page = await _entry_id(client, "FIL-12 fault 201: main drive bearing failure")
    internal = await _entry_id(client, "Motor current creeping up on the capper")
    assert (await client.get(f"/api/knowledge/{filler_page}", headers=NORDBRAU)).status_code == 200
    for entry_id, who in ((filler_page, ALPENPACK), (internal, NORDBRAU), (10**9, NORDBRAU)):
        response = await client.get(f"/api/knowledge/{entry_id}", headers=who)
        assert response.status_code == 404
        assert response.json()["detail"] == f"knowledge entry {entry_id} not found"
    draft = await client.post("/api/knowledge", json=_body(), headers=SUPPORT)
    draft_id = draft.json()["entry"]["id"]
    assert (await client.get(f"/api/knowledge/{draft_id}", headers=NORDBRAU)).status_code == 404
    searched = await client.get("/api/knowledge", params={"q": "squeal"}, headers=NORDBRAU)
    assert searched.json() == []


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "  "},
        {"machine_models": []},
        {"kind": "fault_code", "fault_codes": []},
        {"fault_codes": [-1]},
        {"audience": "everyone"},
        {"signals": [""]},
        {"unknown": 1},
    ],
)
async def test_bad_entries_answer_422(client: httpx.AsyncClient, changes: dict[str, Any]) -> None:
    response = await client.post("/api/knowledge", json=_body(**changes), headers=SUPPORT)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_bad_queries_answer_422(client: httpx.AsyncClient) -> None:
    for params in ({"fault_code": "x"}, {"status": "live"}, {"limit": 0}):
        response = await client.get("/api/knowledge", params=params, headers=SUPPORT)
        assert response.status_code == 422
    bad_signals = await client.get(
        "/api/machines/l1-filler/knowledge", params={"signals": "a,,b"}, headers=SUPPORT
    )
    assert bad_signals.status_code == 422
    bad_move = await client.post("/api/knowledge/1/transitions", json={"to": "x"}, headers=SUPPORT)
    assert bad_move.status_code == 422


async def test_an_alert_links_by_its_driving_signals(
    client: httpx.AsyncClient, seeded_pool: Pool, manual: None
) -> None:
    async with seeded_pool.connection() as conn:
        alert = await insert_alert(
            conn, machine_id="l2-filler", signals=("vibration_rms", "bearing_temp")
        )
    response = await client.get(f"/api/alerts/{alert}/knowledge", headers=SUPPORT)
    assert response.status_code == 200
    links = response.json()["links"]
    assert links[0]["entry"]["title"] == "Vibration rising on the filler drive"
    assert links[0]["matched_signals"] == ["bearing_temp", "vibration_rms"]
    assert (await client.get(f"/api/alerts/{alert}/knowledge", headers=NORDBRAU)).status_code == 200
    hidden = await client.get(f"/api/alerts/{alert}/knowledge", headers=ALPENPACK)
    assert (hidden.status_code, hidden.json()["detail"]) == (404, f"alert {alert} not found")
    missing = await client.get("/api/alerts/999999/knowledge", headers=SUPPORT)
    assert missing.status_code == 404


@pytest.mark.parametrize("q", ["'", "a & b | !c", "(", '"', "the", "-", "ß∑ 201"])
async def test_odd_search_text_never_fails(client: httpx.AsyncClient, manual: None, q: str) -> None:
    response = await client.get("/api/knowledge", params={"q": q}, headers=SUPPORT)
    assert response.status_code == 200


async def test_two_edits_of_the_same_version_at_once_make_one_version(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    created = await client.post("/api/knowledge", json=_body(), headers=SUPPORT)
    url = f"/api/knowledge/{created.json()['entry']['id']}"
    edits = [_body(causes=f"cause {i}", base_version=1) for i in range(2)]
    answers = await asyncio.gather(*(client.put(url, json=e, headers=SUPPORT) for e in edits))
    assert sorted(a.status_code for a in answers) == [200, 409]
    detail = (await client.get(url, headers=SUPPORT)).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
