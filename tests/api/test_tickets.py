"""Tickets: lists scoped to the customer, details with their events, 404 across customers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU
from tests.api.factories import T0, insert_ticket, insert_ticket_event

pytestmark = pytest.mark.integration


@pytest.fixture
async def tickets(seeded_pool: Pool) -> dict[str, int]:
    async with seeded_pool.connection() as conn:
        nordbrau = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler", received_at=T0
        )
        alpenpack = await insert_ticket(
            conn,
            customer_id="alpenpack",
            line_id="line-3",
            machine_id="l3-sealer",
            received_at=T0 - timedelta(hours=2),
            severity="major",
        )
        await insert_ticket_event(
            conn, ticket_id=nordbrau, at=T0, kind="registered", note="opened by a warning"
        )
        await insert_ticket_event(
            conn,
            ticket_id=nordbrau,
            at=T0 + timedelta(minutes=20),
            kind="classified",
            note="general fault, under warranty",
        )
    return {"nordbrau": nordbrau, "alpenpack": alpenpack}


async def test_desk_sees_every_ticket(client: httpx.AsyncClient, tickets: dict[str, int]) -> None:
    body = (await client.get("/api/tickets", headers=DESK)).json()
    assert [t["id"] for t in body] == [tickets["nordbrau"], tickets["alpenpack"]]


async def test_customers_see_only_their_tickets(
    client: httpx.AsyncClient, tickets: dict[str, int]
) -> None:
    nordbrau = (await client.get("/api/tickets", headers=NORDBRAU)).json()
    alpenpack = (await client.get("/api/tickets", headers=ALPENPACK)).json()
    assert [t["id"] for t in nordbrau] == [tickets["nordbrau"]]
    assert [t["id"] for t in alpenpack] == [tickets["alpenpack"]]


async def test_ticket_list_shows_sla_deadlines(
    client: httpx.AsyncClient, tickets: dict[str, int]
) -> None:
    [ticket] = (await client.get("/api/tickets", headers=NORDBRAU)).json()
    assert ticket["number"].startswith("LC-2026-")
    assert (ticket["severity"], ticket["status"], ticket["machine_id"]) == (
        "serious",
        "registered",
        "l1-filler",
    )
    assert ticket["signals"] == ["bearing_temp", "vibration_rms"]
    assert (ticket["response_due"], ticket["arrival_due"], ticket["resolution_due"]) == (
        "2026-03-02T13:00:00Z",
        "2026-03-03T12:00:00Z",
        "2026-03-04T12:00:00Z",
    )


async def test_ticket_detail_carries_its_events_in_order(
    client: httpx.AsyncClient, tickets: dict[str, int]
) -> None:
    response = await client.get(f"/api/tickets/{tickets['nordbrau']}", headers=NORDBRAU)
    assert response.status_code == 200
    body = response.json()
    assert body["symptoms"] == "runs hot"
    assert [(e["kind"], e["note"]) for e in body["events"]] == [
        ("registered", "opened by a warning"),
        ("classified", "general fault, under warranty"),
    ]


async def test_another_customers_ticket_looks_like_no_ticket(
    client: httpx.AsyncClient, tickets: dict[str, int]
) -> None:
    foreign = await client.get(f"/api/tickets/{tickets['alpenpack']}", headers=NORDBRAU)
    missing = await client.get("/api/tickets/999999", headers=NORDBRAU)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == f"ticket {tickets['alpenpack']} not found"


@pytest.mark.parametrize("ticket_id", ["0", "-1", "abc", str(2**63)])
async def test_impossible_ticket_ids_answer_422(client: httpx.AsyncClient, ticket_id: str) -> None:
    response = await client.get(f"/api/tickets/{ticket_id}", headers=DESK)
    assert response.status_code == 422
