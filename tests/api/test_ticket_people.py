"""People on tickets by name: the ticket, its timeline, its dispatch and its owners carry
each person's display name beside the login; a customer reads the service team's people
as the team, and none of their logins."""

from __future__ import annotations

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.dispatch_factories import classified_ticket, dispatch
from tests.api.factories import T0

pytestmark = pytest.mark.integration

STAFF_LOGINS = ("demo-desk", "demo-support", "demo-field-1")


async def test_the_desk_reads_who_registered_moved_and_dispatched_a_ticket_by_name(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    assert (await dispatch(client, ticket, "demo-field-1")).status_code == 201
    assigned = await client.post(
        "/api/tickets/assignments",
        json={"owner": "demo-support", "ticket_ids": [ticket]},
        headers=DESK,
    )

    body = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    order = (await client.get(f"/api/tickets/{ticket}/dispatch", headers=DESK)).json()
    owners = (await client.get("/api/ticket-owners", headers=DESK)).json()

    assert (body["created_by"], body["created_by_name"]) == ("demo-desk", "Service desk (demo)")
    assert {(e["kind"], e["actor"], e["actor_name"]) for e in body["events"]} >= {
        ("registered", "demo-desk", "Service desk (demo)"),
        ("dispatch", "demo-desk", "Service desk (demo)"),
    }
    sent = next(e for e in body["events"] if e["field"] == "engineer")
    assert (sent["new_value"], sent["new_value_name"]) == (
        "demo-field-1",
        "Field engineer Hamburg (demo)",
    )
    assignment = order["assignment"]
    assert (assignment["dispatched_by"], assignment["dispatched_by_name"]) == (
        "demo-desk",
        "Service desk (demo)",
    )
    assert assignment["engineer_name"] == "Field engineer Hamburg (demo)"
    assert assigned.json()["owner_name"] == "Support engineer (demo)"
    mine = next(o for o in owners if o["ticket_id"] == ticket)
    assert (mine["owner_name"], mine["assigned_by_name"]) == (
        "Support engineer (demo)",
        "Service desk (demo)",
    )


async def test_a_person_without_an_account_any_more_is_named_by_login(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    async with seeded_pool.connection() as conn:
        await conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, note, actor)"
            " VALUES (%s, %s, 'note', 'Called the plant', 'former-desk')",
            (ticket, T0),
        )

    body = (await client.get(f"/api/tickets/{ticket}", headers=SUPPORT)).json()

    noted = next(e for e in body["events"] if e["kind"] == "note")
    assert (noted["actor"], noted["actor_name"]) == ("former-desk", "former-desk")
    automatic = [e for e in body["events"] if e["actor"] is None]
    assert all(e["actor_name"] is None for e in automatic)


async def test_a_customer_reads_the_service_team_and_their_own_people_but_no_staff_login(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    by_desk = await classified_ticket(client)
    # Events whose values are people: the engineer dispatched, the owner assigned.
    assert (await dispatch(client, by_desk, "demo-field-1")).status_code == 201
    assigned = await client.post(
        "/api/tickets/assignments",
        json={"owner": "demo-support", "ticket_ids": [by_desk]},
        headers=DESK,
    )
    assert assigned.status_code < 300, assigned.text
    own = await client.post(
        "/api/tickets",
        json={"line_id": "line-1", "machine_id": "l1-filler", "summary": "Capper jams"},
        headers=NORDBRAU,
    )
    assert own.status_code == 201, own.text

    desk_ticket = await client.get(f"/api/tickets/{by_desk}", headers=NORDBRAU)
    listed = await client.get("/api/tickets", headers=NORDBRAU)

    body = desk_ticket.json()
    assert (body["created_by"], body["created_by_name"]) == (None, "LineCare service team")
    people = [e for e in body["events"] if e["field"] in ("engineer", "owner")]
    assert people and all(e["new_value"] is None for e in people)
    assert {e["new_value_name"] for e in people} == {"LineCare service team"}
    assert {e["actor_name"] for e in body["events"]} <= {"LineCare service team", None}
    for text in (desk_ticket.text, listed.text):
        # Each login found, with what stands before it.
        leaks = [
            text[max(0, text.find(x) - 80) : text.find(x) + 20] for x in STAFF_LOGINS if x in text
        ]
        assert not leaks
    mine = next(t for t in listed.json() if t["id"] == own.json()["id"])
    assert (mine["created_by"], mine["created_by_name"]) == (
        "demo-nordbrau",
        "Nordbrau plant (demo)",
    )
