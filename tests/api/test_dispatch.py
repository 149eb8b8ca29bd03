"""Dispatch through the API: ranked candidates, the dispatch command and its order, refusals,
re-dispatch, idempotency, the machine's service history, and the desk's bulk assignment."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.dispatch_factories import (
    FIELD_1,
    FIELD_2,
    classified_ticket,
    dispatch,
    move,
    registered_ticket,
)
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration

TOOLS = ["torque wrench", "bearing puller"]
PARTS = [{"part_number": "FIL12-BRG-6205", "quantity": 2, "description": "main drive bearing"}]


async def test_the_desk_sees_engineers_ranked_with_reasons_and_the_late_one_flagged_last(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)

    response = await client.get(f"/api/tickets/{ticket}/dispatch-candidates", headers=DESK)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["machine_model"], body["severity"], body["site_region"]) == (
        "FIL-12",
        "serious",
        "north-germany",
    )
    assert body["site_region_name"] == "North Germany"
    assert body["weights"]["proximity"] == 0.4  # serious: distance weighs more
    ranked = [(c["rank"], c["login"], c["misses_arrival_deadline"]) for c in body["candidates"]]
    # Hamburg is next door; Munich makes the 12 h arrival; Zurich cannot and comes last.
    assert ranked == [
        (1, "demo-field-1", False),
        (2, "demo-field-3", False),
        (3, "demo-field-2", True),
    ]
    first, second, last = body["candidates"]
    assert first["reasons"][:3] == [
        "Services the FIL-12.",
        "Handles general fault tickets.",
        "Certified for the FIL-12 (FIL-12 service training) until 2028-06-30.",
    ]
    assert [p["factor"] for p in first["parts"]] == [
        "skill",
        "certification",
        "workload",
        "proximity",
    ]
    assert first["score"] == pytest.approx(sum(p["points"] for p in first["parts"]), abs=0.2)
    assert second["warnings"] == [
        "Their FIL-12 certificate (FIL-12 service training) expired on 2025-12-31."
    ]
    assert last["warnings"][0].startswith("Cannot reach the site by the arrival deadline")
    assert last["score"] > 0


@pytest.mark.parametrize("headers", [NORDBRAU, ALPENPACK, FIELD_1])
async def test_customers_and_engineers_get_404_for_the_candidates(
    client: httpx.AsyncClient, clock: Clock, headers: dict[str, str]
) -> None:
    ticket = await classified_ticket(client)

    response = await client.get(f"/api/tickets/{ticket}/dispatch-candidates", headers=headers)

    assert response.status_code == 404


async def test_a_dispatch_moves_the_ticket_records_what_to_bring_and_writes_the_audit(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    clock.advance(minutes=20)

    response = await dispatch(
        client, ticket, "demo-field-1", tools=TOOLS, parts=PARTS, note="bring the laptop"
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ticket"]["status"] == "dispatched"
    event = body["ticket"]["events"][-1]
    assert (event["kind"], event["actor"], event["field"]) == ("dispatch", "demo-desk", "engineer")
    assert (event["old_value"], event["new_value"]) == (None, "demo-field-1")
    assert "2 x FIL12-BRG-6205" in event["note"]
    transition = body["ticket"]["events"][-2]
    assert (transition["old_value"], transition["new_value"]) == ("classified", "dispatched")
    order = body["order"]
    assert order["customer"] == {"id": "nordbrau", "name": "Nordbrau GmbH"}
    assert order["contact"]["name"] == "Jonas Brandt"
    assert order["line"]["id"] == "line-1"
    assert order["machine"] == {
        "id": "l1-filler",
        "name": "Filler",
        "model": "FIL-12",
        "serial": "FIL12-88121",
    }
    assert order["site"]["location"] == {"lat": 53.5461, "lon": 9.9661}
    # The job card names the region; the plant file gives only its id.
    assert (order["site"]["region"], order["site"]["region_name"]) == (
        "north-germany",
        "North Germany",
    )
    assert order["symptoms"].startswith("Bearing temperature up 15 K")
    assert order["arrival_due"] == "2026-03-03T00:00:00Z"  # serious: 12 h by contract
    assignment = order["assignment"]
    assert (assignment["engineer"], assignment["engineer_name"]) == (
        "demo-field-1",
        "Field engineer Hamburg (demo)",
    )
    assert assignment["tools"] == TOOLS
    assert assignment["parts"] == PARTS
    assert assignment["note"] == "bring the laptop"
    assert assignment["accepted_at"] is None
    assert [d["kind"] for d in order["documents"]] == ["manual", "drawing"]
    assert order["service_history_url"] == "/api/v1/tickets?machine_id=l1-filler"

    engineer = (await client.get("/api/engineers/demo-field-1", headers=DESK)).json()
    assert engineer["open_jobs"] == 1
    again = await client.get(f"/api/tickets/{ticket}/dispatch", headers=DESK)
    assert again.json() == order


async def test_dispatching_from_the_wrong_state_answers_409_with_the_next_steps(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await registered_ticket(client)

    response = await dispatch(client, ticket, "demo-field-1")

    assert response.status_code == 409
    assert refusal_of(response) == {
        "message": "Refused: a ticket that is registered cannot become dispatched.",
        "status": "registered",
        "allowed_next": ["classified", "archived", "waiting_for_customer"],
    }
    order = await client.get(f"/api/tickets/{ticket}/dispatch", headers=DESK)
    assert order.status_code == 404


async def test_sending_it_to_someone_else_goes_back_to_the_desk_first(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    assert (await dispatch(client, ticket, "demo-field-1")).status_code == 201

    twice = await dispatch(client, ticket, "demo-field-3")
    assert twice.status_code == 409
    assert "classified" in refusal_of(twice)["allowed_next"]

    back = await move(client, ticket, "classified", DESK, note="Hamburg engineer is ill")
    assert back.status_code == 200
    assert (await client.get("/api/my-jobs", headers=FIELD_1)).json() == []
    assert (await client.get(f"/api/tickets/{ticket}/dispatch", headers=DESK)).status_code == 404

    again = await dispatch(client, ticket, "demo-field-3")
    assert again.status_code == 201, again.text
    event = again.json()["ticket"]["events"][-1]
    assert (event["old_value"], event["new_value"]) == (None, "demo-field-3")
    engineers = (await client.get("/api/engineers", headers=DESK)).json()
    assert {e["login"]: e["open_jobs"] for e in engineers} == {
        "demo-field-1": 0,
        "demo-field-2": 0,
        "demo-field-3": 1,
    }


async def test_a_repeated_dispatch_with_the_same_key_is_the_same_dispatch(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    other = await classified_ticket(client)

    first = await dispatch(client, ticket, "demo-field-1", key="dispatch-1", tools=TOOLS)
    clock.advance(minutes=5)
    second = await dispatch(client, ticket, "demo-field-1", key="dispatch-1", tools=TOOLS)
    elsewhere = await dispatch(client, other, "demo-field-1", key="dispatch-1")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["order"] == first.json()["order"]
    kinds = [e["kind"] for e in second.json()["ticket"]["events"]]
    assert kinds.count("dispatch") == 1
    assert elsewhere.status_code == 422
    assert "another ticket" in elsewhere.json()["detail"]


@pytest.mark.parametrize("login", ["nobody", "demo-desk", "demo-nordbrau"])
async def test_dispatching_to_someone_who_is_no_field_engineer_is_rejected(
    client: httpx.AsyncClient, clock: Clock, login: str
) -> None:
    ticket = await classified_ticket(client)

    response = await dispatch(client, ticket, login)

    assert response.status_code == 422
    assert response.json()["detail"] == f"'{login}' is not an active field engineer"
    detail = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    assert detail["status"] == "classified"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"engineer": "demo-field-1", "parts": [{"part_number": "X", "quantity": 0}]}, "quantity"),
        ({"engineer": ""}, "engineer"),
        ({"engineer": "demo-field-1", "tools": [""]}, "tools"),
        ({"engineer": "demo-field-1", "colour": "red"}, "colour"),
    ],
)
async def test_bad_dispatch_requests_answer_422(
    client: httpx.AsyncClient, clock: Clock, body: dict[str, object], fragment: str
) -> None:
    ticket = await classified_ticket(client)

    response = await client.post(f"/api/tickets/{ticket}/dispatch", json=body, headers=DESK)

    assert response.status_code == 422
    assert fragment in response.text


async def test_support_may_dispatch_but_customers_and_engineers_may_not(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)

    for headers in (NORDBRAU, ALPENPACK, FIELD_1):
        assert (await dispatch(client, ticket, "demo-field-1", headers)).status_code == 404
    assert (await dispatch(client, ticket, "demo-field-1", SUPPORT)).status_code == 201
    # Their own job now, but dispatching stays the desk's.
    own = await dispatch(client, ticket, "demo-field-1", FIELD_1)
    assert own.status_code == 403
    for headers in (NORDBRAU, ALPENPACK, FIELD_2):
        order = await client.get(f"/api/tickets/{ticket}/dispatch", headers=headers)
        assert order.status_code == 404


async def test_the_order_lists_the_machine_s_service_history(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    earlier = await registered_ticket(client, summary="Filler drops bottles")
    await registered_ticket(client, machine_id="l1-capper", summary="Capper jams")
    clock.advance(hours=2)
    ticket = await classified_ticket(client)
    await dispatch(client, ticket, "demo-field-1")

    order = (await client.get(f"/api/tickets/{ticket}/dispatch", headers=FIELD_1)).json()
    history = await client.get("/api/tickets?machine_id=l1-filler", headers=DESK)
    none = await client.get("/api/tickets?machine_id=l2-filler", headers=DESK)

    assert [(t["id"], t["summary"]) for t in order["service_history"]] == [
        (earlier, "Filler drops bottles")
    ]
    assert [t["id"] for t in history.json()] == [ticket, earlier]
    assert none.json() == []


async def test_the_desk_assigns_an_owner_to_many_tickets_and_hears_which_failed(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    first = await registered_ticket(client)
    second = await registered_ticket(client)
    archived = await registered_ticket(client)
    await move(client, archived, "archived", DESK, note="duplicate")

    response = await client.post(
        "/api/tickets/assignments",
        json={"owner": "demo-support", "ticket_ids": [first, second, archived, 999999, first]},
        headers=DESK,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["assigned"], body["failed"]) == (2, 2)
    assert [(r["ticket_id"], r["ok"], r["error"]) for r in body["results"]] == [
        (first, True, None),
        (second, True, None),
        (archived, False, f"LC-2026-{archived:06d} is archived"),
        (999999, False, "ticket 999999 not found"),
    ]
    owners = (await client.get("/api/ticket-owners?owner=demo-support", headers=DESK)).json()
    assert [(o["ticket_id"], o["assigned_by"]) for o in owners] == [
        (first, "demo-desk"),
        (second, "demo-desk"),
    ]
    detail = (await client.get(f"/api/tickets/{first}", headers=DESK)).json()
    owner_event = detail["events"][-1]
    assert (owner_event["kind"], owner_event["old_value"], owner_event["new_value"]) == (
        "owner",
        None,
        "demo-support",
    )

    moved = await client.post(
        "/api/tickets/assignments",
        json={"owner": "demo-desk", "ticket_ids": [first]},
        headers=DESK,
    )
    assert moved.json()["results"][0]["previous_owner"] == "demo-support"


async def test_bulk_assignment_is_the_desk_s_and_owners_are_desk_or_support_people(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await registered_ticket(client)

    async def assign(owner: str, headers: dict[str, str]) -> httpx.Response:
        return await client.post(
            "/api/tickets/assignments",
            json={"owner": owner, "ticket_ids": [ticket]},
            headers=headers,
        )

    assert (await assign("demo-support", NORDBRAU)).status_code == 404
    assert (await assign("demo-support", SUPPORT)).status_code == 403
    assert (await assign("demo-support", FIELD_1)).status_code == 403
    customer_owner = await assign("demo-nordbrau", DESK)
    assert customer_owner.status_code == 422
    assert "is not an active desk, support or admin user" in customer_owner.json()["detail"]
    empty = await client.post(
        "/api/tickets/assignments", json={"owner": "demo-desk", "ticket_ids": []}, headers=DESK
    )
    assert empty.status_code == 422
    for headers in (NORDBRAU, ALPENPACK, FIELD_1):
        assert (await client.get("/api/ticket-owners", headers=headers)).status_code == 404


async def test_two_people_dispatching_one_ticket_at_once_cannot_both_win(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)

    answers = await asyncio.gather(
        dispatch(client, ticket, "demo-field-1"),
        dispatch(client, ticket, "demo-field-3", SUPPORT),
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    detail = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    assert [e["kind"] for e in detail["events"]].count("dispatch") == 1
