"""Working a ticket through the API: moves by role, 409 with next steps, audit trail, clocks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from models.users import Role
from storage.connections import Pool
from storage.user_store import create_user
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration

ENGINEER = {"Authorization": "Bearer test-engineer"}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(minutes=10))
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def ticket(seeded_pool: Pool) -> int:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="eng-mueller",
            display_name="J. Mueller",
            role=Role.FIELD_ENGINEER,
            customer_id=None,
            token="test-engineer",
        )
        return await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )


async def _move(
    client: httpx.AsyncClient, ticket: int, to: str, headers: dict[str, str], **extra: str
) -> httpx.Response:
    return await client.post(
        f"/api/tickets/{ticket}/transitions", json={"to": to, **extra}, headers=headers
    )


async def test_a_ticket_is_worked_from_registration_to_archive(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    steps = [
        ("classified", DESK, 20),
        ("remote_diagnosis", SUPPORT, 30),
        ("dispatched", DESK, 60),
        ("en_route", ENGINEER, 120),
        ("on_site", ENGINEER, 300),
        ("repaired", ENGINEER, 240),
        ("verified", DESK, 60),
        ("signed_off", NORDBRAU, 60),
        ("survey", DESK, 60),
        ("reviewed", SUPPORT, 60),
        ("archived", DESK, 60),
    ]
    for target, headers, minutes in steps:
        clock.advance(minutes=minutes)
        if target == "dispatched":
            # A dispatch names the engineer; only they may work the job from here.
            response = await client.post(
                f"/api/tickets/{ticket}/dispatch", json={"engineer": "eng-mueller"}, headers=headers
            )
            assert response.status_code == 201, response.text
            continue
        response = await _move(client, ticket, target, headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target

    body = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    sla = {c["kind"]: c["state"] for c in body["sla"]}
    assert sla == {"response": "met_on_time", "arrival": "met_on_time", "resolution": "met_on_time"}
    assert body["allowed_next"] == []


async def test_a_refused_move_answers_409_with_the_allowed_next_steps(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    response = await _move(client, ticket, "repaired", DESK)

    assert response.status_code == 409
    assert refusal_of(response) == {
        "message": "Refused: a ticket that is registered cannot become repaired.",
        "status": "registered",
        "allowed_next": ["classified", "archived", "waiting_for_customer"],
    }


async def test_a_customer_cannot_classify_their_ticket(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    response = await _move(client, ticket, "classified", NORDBRAU)

    assert response.status_code == 409
    assert "is for admin, desk, support, not customer" in refusal_of(response)["message"]


async def test_another_customer_cannot_touch_the_ticket(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    response = await _move(client, ticket, "classified", ALPENPACK)

    assert response.status_code == 404


async def test_a_move_that_needs_a_reason_without_one_is_refused(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    refused = await _move(client, ticket, "archived", DESK)
    archived = await _move(client, ticket, "archived", DESK, note="duplicate of LC-2026-000001")

    assert refused.status_code == 409
    assert refusal_of(refused)["message"] == (
        "Refused: moving a ticket to archived needs a reason."
    )
    assert archived.status_code == 200


async def test_every_change_is_in_the_audit_trail(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _move(client, ticket, "classified", DESK, note="general fault, under warranty")

    events = (await client.get(f"/api/tickets/{ticket}", headers=SUPPORT)).json()["events"]

    assert events[-1] == {
        "at": "2026-03-02T12:10:00Z",
        "kind": "transition",
        "note": "general fault, under warranty",
        "actor": "demo-desk",
        "actor_name": "Service desk (demo)",
        "field": "status",
        "old_value": "registered",
        "new_value": "classified",
        # Names only for fields whose values are people (engineer, owner, approver).
        "old_value_name": None,
        "new_value_name": None,
    }


async def test_bad_input_answers_422_with_a_message(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    response = await _move(client, ticket, "fixed", DESK)

    assert response.status_code == 422
    assert "classified" in response.text


async def test_two_people_moving_one_ticket_cannot_both_win(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    first, second = await asyncio.gather(
        _move(client, ticket, "classified", DESK, expected_status="registered"),
        _move(
            client,
            ticket,
            "waiting_for_customer",
            SUPPORT,
            expected_status="registered",
            note="which station?",
        ),
    )

    codes = sorted([first.status_code, second.status_code])
    assert codes == [200, 409]
    loser = first if first.status_code == 409 else second
    assert "someone else moved it meanwhile" in refusal_of(loser)["message"]


async def test_the_response_clock_counts_down_and_is_met_by_the_first_move(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    fresh = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    clock.advance(minutes=40)
    warned = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    clock.advance(minutes=20)
    late = await _move(client, ticket, "classified", DESK)

    assert (fresh["sla"][0]["state"], fresh["sla"][0]["text"]) == ("running", "50 min left")
    assert warned["sla"][0]["state"] == "warning"
    assert late.json()["sla"][0]["state"] == "met_late"
    assert late.json()["sla"][0]["text"] == "met late (10 min overdue)"


async def test_a_line_change_waits_for_the_technical_leads_approval(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _move(client, ticket, "classified", DESK)
    flag = await client.post(
        f"/api/tickets/{ticket}/change-approval",
        json={"note": "new servo parameters for the filler"},
        headers=DESK,
    )
    refused = await _move(client, ticket, "dispatched", DESK)
    desk_approval = await client.post(
        f"/api/tickets/{ticket}/change-approval", json={"approve": True}, headers=DESK
    )
    approval = await client.post(
        f"/api/tickets/{ticket}/change-approval", json={"approve": True}, headers=SUPPORT
    )
    dispatched = await _move(client, ticket, "dispatched", DESK)

    assert flag.status_code == 200 and flag.json()["needs_change_approval"]
    assert refused.status_code == 409
    assert "technical lead must approve" in refusal_of(refused)["message"]
    assert desk_approval.status_code == 409
    assert approval.json()["change_approved_by"] == "demo-support"
    assert dispatched.status_code == 200
