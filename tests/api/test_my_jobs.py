"""The field engineer's jobs: their orders, accepting, moving them, and nobody else's."""

from __future__ import annotations

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
)
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def job(client: httpx.AsyncClient, clock: Clock) -> int:
    """The Hamburg filler's ticket, dispatched to the Hamburg engineer with a bearing."""
    ticket = await classified_ticket(client)
    clock.advance(minutes=15)
    response = await dispatch(
        client,
        ticket,
        "demo-field-1",
        tools=["bearing puller"],
        parts=[{"part_number": "FIL12-BRG-6205", "quantity": 1}],
    )
    assert response.status_code == 201, response.text
    clock.advance(minutes=5)
    return ticket


async def test_the_engineer_sees_their_job_with_the_order_and_the_next_moves(
    client: httpx.AsyncClient, job: int
) -> None:
    response = await client.get("/api/my-jobs", headers=FIELD_1)

    assert response.status_code == 200, response.text
    [mine] = response.json()
    order = mine["order"]
    assert (order["ticket_id"], order["status"]) == (job, "dispatched")
    assert order["machine"]["serial"] == "FIL12-88121"
    assert order["assignment"]["parts"] == [
        {"part_number": "FIL12-BRG-6205", "quantity": 1, "description": ""}
    ]
    assert mine["allowed_next"] == [
        "en_route",
        "on_site",
        "waiting_for_parts",
        "waiting_for_customer",
        "escalated",
    ]
    assert mine["accept_url"] == f"/api/v1/my-jobs/{job}/accept"
    assert {c["kind"] for c in mine["sla"]} == {"response", "arrival", "resolution"}


async def test_accepting_records_the_time_once_and_the_job_is_worked_to_repaired(
    client: httpx.AsyncClient, job: int, clock: Clock
) -> None:
    accepted_at = clock.now
    first = await client.post(f"/api/my-jobs/{job}/accept", headers=FIELD_1)
    clock.advance(minutes=3)
    second = await client.post(f"/api/my-jobs/{job}/accept", headers=FIELD_1)

    assert first.status_code == 200, first.text
    assert first.json()["order"]["assignment"]["accepted_at"] == accepted_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert first.json()["accept_url"] is None
    assert (
        second.json()["order"]["assignment"]["accepted_at"]
        == (first.json()["order"]["assignment"]["accepted_at"])
    )
    detail = (await client.get(f"/api/tickets/{job}", headers=FIELD_1)).json()
    assert [e["kind"] for e in detail["events"]].count("accepted") == 1

    for target in ("en_route", "on_site", "repaired"):
        clock.advance(minutes=30)
        moved = await move(client, job, target, FIELD_1)
        assert moved.status_code == 200, moved.text
    [repaired] = (await client.get("/api/my-jobs", headers=FIELD_1)).json()
    assert repaired["order"]["status"] == "repaired"
    engineer = (await client.get("/api/engineers/demo-field-1", headers=DESK)).json()
    assert engineer["open_jobs"] == 0  # repaired: no longer keeps them busy


async def test_a_job_already_under_way_cannot_be_accepted_any_more(
    client: httpx.AsyncClient, job: int
) -> None:
    assert (await move(client, job, "en_route", FIELD_1)).status_code == 200

    response = await client.post(f"/api/my-jobs/{job}/accept", headers=FIELD_1)

    assert response.status_code == 409
    detail = refusal_of(response)
    assert detail["message"] == (
        "Refused: a job is accepted while it is dispatched, and this one is en_route."
    )
    assert detail["status"] == "en_route"
    assert detail["allowed_next"] == ["on_site"]


async def test_another_engineer_neither_sees_nor_moves_the_job(
    client: httpx.AsyncClient, job: int
) -> None:
    assert (await client.get("/api/my-jobs", headers=FIELD_2)).json() == []
    assert (await client.get(f"/api/tickets/{job}", headers=FIELD_2)).status_code == 404
    assert (await client.get("/api/tickets", headers=FIELD_2)).json() == []
    assert (await move(client, job, "en_route", FIELD_2)).status_code == 404
    assert (await client.post(f"/api/my-jobs/{job}/accept", headers=FIELD_2)).status_code == 404
    assert (await client.get(f"/api/tickets/{job}/dispatch", headers=FIELD_2)).status_code == 404

    own = await client.get("/api/tickets", headers=FIELD_1)
    assert [t["id"] for t in own.json()] == [job]
    detail = (await client.get(f"/api/tickets/{job}", headers=DESK)).json()
    assert detail["status"] == "dispatched"


async def test_an_engineer_cannot_move_a_ticket_that_was_never_dispatched_to_them(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    # Dispatched without naming anyone, through the plain transition.
    assert (await move(client, ticket, "dispatched", DESK)).status_code == 200

    assert (await move(client, ticket, "en_route", FIELD_1)).status_code == 404


async def test_customers_get_404_and_the_desk_403_on_my_jobs(
    client: httpx.AsyncClient, job: int
) -> None:
    for headers in (NORDBRAU, ALPENPACK):
        assert (await client.get("/api/my-jobs", headers=headers)).status_code == 404
        accept = await client.post(f"/api/my-jobs/{job}/accept", headers=headers)
        assert accept.status_code == 404
    for headers in (DESK, SUPPORT):
        assert (await client.get("/api/my-jobs", headers=headers)).status_code == 403
    assert (await client.get("/api/my-jobs")).status_code == 401


async def test_a_job_sent_back_to_the_desk_leaves_the_engineer_s_list(
    client: httpx.AsyncClient, job: int
) -> None:
    back = await move(client, job, "classified", DESK, note="needs a second opinion")
    assert back.status_code == 200

    assert (await client.get("/api/my-jobs", headers=FIELD_1)).json() == []
    assert (await client.get(f"/api/tickets/{job}", headers=FIELD_1)).status_code == 404
    assert (await client.post(f"/api/my-jobs/{job}/accept", headers=FIELD_1)).status_code == 404
