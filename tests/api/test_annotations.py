"""Annotations: staff mark a moment of a machine on a ticket; it shows in the ticket's history."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_ticket

pytestmark = pytest.mark.integration

MARK = {
    "machine_id": "l1-filler",
    "at": (T0 - timedelta(minutes=42)).isoformat(),
    "signal": "vibration_rms",
    "note": "vibration steps up here, before the temperature follows",
}


@pytest.fixture
async def ticket_id(app: FastAPI, seeded_pool: Pool) -> int:
    """A ticket of Nordbräu's filler; the desk's clock stands at T0 + 1 h."""
    app.state.ticket_clock = lambda: T0 + timedelta(hours=1)
    async with seeded_pool.connection() as conn:
        return await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )


async def test_support_annotates_a_moment_and_the_ticket_history_shows_it(
    client: httpx.AsyncClient, ticket_id: int
) -> None:
    created = await client.post(
        f"/api/tickets/{ticket_id}/annotations",
        json=MARK,
        headers={**SUPPORT, "Idempotency-Key": "mark-1"},
    )
    again = await client.post(
        f"/api/tickets/{ticket_id}/annotations",
        json=MARK,
        headers={**SUPPORT, "Idempotency-Key": "mark-1"},
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["machine_id"] == "l1-filler"
    assert body["signal"] == "vibration_rms"
    # Who marked it by name, beside the login.
    assert (body["created_by"], body["created_by_name"]) == (
        "demo-support",
        "Support engineer (demo)",
    )
    assert body["at"] == "2026-03-02T11:18:00Z"
    assert (again.status_code, again.json()) == (200, body)

    listed = await client.get(f"/api/tickets/{ticket_id}/annotations", headers=DESK)
    assert listed.json() == [body]
    on_chart = await client.get(
        "/api/machines/l1-filler/annotations",
        params={"from": (T0 - timedelta(hours=2)).isoformat(), "to": T0.isoformat()},
        headers=SUPPORT,
    )
    assert on_chart.json() == [body]

    history = (await client.get(f"/api/tickets/{ticket_id}", headers=SUPPORT)).json()["events"]
    marks = [e for e in history if e["kind"] == "annotation"]
    assert len(marks) == 1  # the repeated key added no second entry
    assert marks[0]["actor"] == "demo-support"
    assert "l1-filler vibration_rms at 2026-03-02T11:18:00+00:00" in marks[0]["note"]


async def test_customers_may_not_annotate_nor_read_annotations(
    client: httpx.AsyncClient, ticket_id: int
) -> None:
    marked = await client.post(f"/api/tickets/{ticket_id}/annotations", json=MARK, headers=SUPPORT)
    assert marked.status_code == 201, marked.text
    own = await client.post(f"/api/tickets/{ticket_id}/annotations", json=MARK, headers=NORDBRAU)
    own_list = await client.get(f"/api/tickets/{ticket_id}/annotations", headers=NORDBRAU)
    on_chart = await client.get("/api/machines/l1-filler/annotations", headers=NORDBRAU)

    assert own.status_code == 403
    assert own_list.status_code == 403
    assert on_chart.status_code == 403
    # Nor does a refusal name who marked the moment there is.
    for refused in (own_list, on_chart):
        assert "demo-support" not in refused.text
        assert "Support engineer" not in refused.text


async def test_the_customer_reads_the_ticket_history_without_support_notes(
    client: httpx.AsyncClient, ticket_id: int
) -> None:
    await client.post(f"/api/tickets/{ticket_id}/annotations", json=MARK, headers=SUPPORT)

    staff = (await client.get(f"/api/tickets/{ticket_id}", headers=DESK)).json()["events"]
    customer = (await client.get(f"/api/tickets/{ticket_id}", headers=NORDBRAU)).json()["events"]

    assert "annotation" in [e["kind"] for e in staff]
    assert "annotation" not in [e["kind"] for e in customer]
    assert [e["kind"] for e in customer] == [e["kind"] for e in staff if e["kind"] != "annotation"]


async def test_another_customers_ticket_is_not_found(
    client: httpx.AsyncClient, ticket_id: int
) -> None:
    posted = await client.post(
        f"/api/tickets/{ticket_id}/annotations", json=MARK, headers=ALPENPACK
    )
    listed = await client.get(f"/api/tickets/{ticket_id}/annotations", headers=ALPENPACK)
    machine = await client.get("/api/machines/l1-filler/annotations", headers=ALPENPACK)

    for response in (posted, listed, machine):
        assert response.status_code == 404
        assert "vibration" not in response.text
    assert posted.json()["detail"] == f"ticket {ticket_id} not found"
    assert machine.json()["detail"] == "machine 'l1-filler' not found"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"machine_id": "l3-packer"}, 422, "not the ticket customer's"),
        ({"machine_id": "no-such-machine"}, 404, "no-such-machine"),
        ({"signal": "no_such_signal"}, 404, "no_such_signal"),
        ({"note": ""}, 422, "note"),
        ({"at": "not a time"}, 422, "at"),
    ],
)
async def test_bad_annotations_answer_4xx_with_a_message(
    client: httpx.AsyncClient,
    ticket_id: int,
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = await client.post(
        f"/api/tickets/{ticket_id}/annotations", json={**MARK, **change}, headers=SUPPORT
    )

    assert response.status_code == status
    assert message in response.text


async def test_a_missing_ticket_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/tickets/999999/annotations", json=MARK, headers=SUPPORT)

    assert response.status_code == 404


async def test_a_field_engineer_not_on_the_job_does_not_see_the_ticket(
    client: httpx.AsyncClient, ticket_id: int
) -> None:
    field = {"Authorization": "Bearer demo-field-1"}
    posted = await client.post(f"/api/tickets/{ticket_id}/annotations", json=MARK, headers=field)
    listed = await client.get(f"/api/tickets/{ticket_id}/annotations", headers=field)

    assert posted.status_code == listed.status_code == 404
    assert posted.json()["detail"] == f"ticket {ticket_id} not found"
