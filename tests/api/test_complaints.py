"""Complaints through the API: register, classify, investigate, answer in time, follow up, close."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(days=1))
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def ticket(seeded_pool: Pool) -> int:
    async with seeded_pool.connection() as conn:
        return await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler", status="survey"
        )


async def _register(
    client: httpx.AsyncClient, headers: dict[str, str], key: str | None = None, **body: Any
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    payload = {"description": "The engineer came a day late", **body}
    return await client.post("/api/complaints", json=payload, headers={**headers, **extra})


async def _move(
    client: httpx.AsyncClient, complaint: int, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/complaints/{complaint}/transitions", json=body, headers=headers)


async def test_a_complaint_is_handled_until_the_customer_is_satisfied(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    registered = await _register(client, NORDBRAU, key="c-1", ticket_id=ticket)
    assert registered.status_code == 201, registered.text
    complaint = registered.json()
    assert complaint["number"].startswith("CP-2026-")
    assert (complaint["customer_id"], complaint["status"], complaint["answer_timing"]) == (
        "nordbrau",
        "registered",
        "pending",
    )
    assert complaint["answer_due"] == "2026-03-06T12:00:00Z"  # general: 72 h
    cid = complaint["id"]

    steps: list[tuple[dict[str, str], dict[str, Any]]] = [
        (DESK, {"to": "classified", "category": "response_time", "severity": "serious"}),
        (SUPPORT, {"to": "investigating"}),
        (
            SUPPORT,
            {
                "to": "answered",
                "findings": "Parts were not in the van",
                "answer": "We now check parts before leaving",
            },
        ),
        (DESK, {"to": "follow_up", "note": "Wants a fixed arrival window"}),
        (DESK, {"to": "answered", "answer": "Arrival windows are confirmed by phone"}),
        (DESK, {"to": "closed", "note": "Satisfied on the call of 5 March"}),
    ]
    for headers, body in steps:
        clock.advance(hours=2)
        moved = await _move(client, cid, headers, **body)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == body["to"]

    final = (await client.get(f"/api/complaints/{cid}", headers=NORDBRAU)).json()
    assert final["answer_due"] == "2026-03-05T12:00:00Z"  # serious: 48 h from registration
    assert final["answer_timing"] == "on_time"
    assert final["answered_at"] == "2026-03-03T18:00:00Z"
    assert final["allowed_next"] == []
    assert [e["new_status"] for e in final["events"]] == [
        "registered",
        "classified",
        "investigating",
        "answered",
        "follow_up",
        "answered",
        "closed",
    ]
    history = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()["events"]
    assert any(e["kind"] == "complaint" and complaint["number"] in e["note"] for e in history)


async def test_an_unanswered_complaint_turns_overdue_and_a_late_answer_stays_late(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    cid = (await _register(client, DESK, customer_id="nordbrau", severity="major")).json()["id"]
    clock.advance(hours=25)
    overdue = (await client.get(f"/api/complaints/{cid}", headers=DESK)).json()
    await _move(client, cid, DESK, to="classified", category="billing", severity="major")
    await _move(client, cid, DESK, to="investigating")
    await _move(client, cid, DESK, to="answered", findings="invoice wrong", answer="credit note")
    late = (await client.get(f"/api/complaints/{cid}", headers=DESK)).json()

    assert overdue["answer_timing"] == "overdue"
    assert late["answer_timing"] == "late"


async def test_a_refused_move_names_the_allowed_ones(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    cid = (await _register(client, NORDBRAU)).json()["id"]

    skipped = await _move(client, cid, DESK, to="answered", answer="sorry")
    unclassified = await _move(client, cid, DESK, to="classified")
    by_customer = await _move(
        client, cid, NORDBRAU, to="classified", category="other", severity="minor"
    )
    bad = await _move(client, cid, DESK, to="resolved")

    assert skipped.status_code == 409
    assert refusal_of(skipped) == {
        "message": "Refused: a complaint that is registered cannot become answered.",
        "status": "registered",
        "allowed_next": ["classified"],
    }
    assert unclassified.status_code == 409
    assert "needs a category and a severity" in refusal_of(unclassified)["message"]
    assert by_customer.status_code == 409
    assert refusal_of(by_customer)["allowed_next"] == []
    assert bad.status_code == 422


async def test_the_same_idempotency_key_registers_once(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    first = await _register(client, NORDBRAU, key="same")
    again = await _register(client, NORDBRAU, key="same")
    listed = (await client.get("/api/complaints", headers=NORDBRAU)).json()

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(listed) == 1


async def test_bad_registrations_answer_422_with_a_message(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    no_customer = await _register(client, DESK)
    unknown = await _register(client, DESK, customer_id="nobody")
    short = await _register(client, NORDBRAU, description="x")

    assert no_customer.status_code == 422
    assert "names its ticket_id or, standing alone, its customer_id" in no_customer.text
    assert unknown.status_code == 422 and "there is no customer 'nobody'" in unknown.text
    assert short.status_code == 422


async def test_customers_see_and_register_only_their_own_complaints(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    own = (await _register(client, NORDBRAU, ticket_id=ticket)).json()
    other = (await _register(client, ALPENPACK)).json()

    read_other = await client.get(f"/api/complaints/{own['id']}", headers=ALPENPACK)
    move_other = await _move(client, own["id"], ALPENPACK, to="investigating")
    on_their_ticket = await _register(client, ALPENPACK, ticket_id=ticket)
    as_nordbrau = await _register(client, ALPENPACK, customer_id="nordbrau")
    listed = (await client.get("/api/complaints", headers=ALPENPACK)).json()
    desk_list = (await client.get(f"/api/complaints?ticket_id={ticket}", headers=DESK)).json()

    assert other["customer_id"] == "alpenpack"
    assert read_other.status_code == move_other.status_code == 404
    assert read_other.json()["detail"] == f"complaint {own['id']} not found"
    assert on_their_ticket.status_code == 404
    assert on_their_ticket.json()["detail"] == f"ticket {ticket} not found"
    assert as_nordbrau.status_code == 404
    assert [c["id"] for c in listed] == [other["id"]]
    assert [c["id"] for c in desk_list] == [own["id"]]
