"""Root cause analysis through the API: when it is required, and the archive waits for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storage.connections import Pool
from tests.api.closure_factories import move
from tests.api.conftest import DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration

RCA: dict[str, Any] = {
    "root_cause": "Lubrication interval too long for the faster product",
    "method": "5 whys",
    "corrective_actions": [{"action": "Replace the bearing", "owner": "field service"}],
    "preventive_actions": [
        {"action": "Halve the lubrication interval", "owner": "planning", "due_on": "2026-03-20"}
    ],
}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(days=2))
    app.state.ticket_clock = fixed
    yield fixed


async def _ticket(
    pool: Pool, *, severity: str = "serious", days_ago: float = 0, fault_code: int | None = None
) -> int:
    """A reviewed ticket of the filler, received ``days_ago`` before T0, with its stop."""
    received = T0 - timedelta(days=days_ago)
    async with pool.connection() as conn:
        ticket = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            severity=severity,
            status="reviewed",
            received_at=received,
        )
        if fault_code is not None:
            await conn.execute(
                "INSERT INTO ticket_events (ticket_id, at, kind, note, field, new_value)"
                " VALUES (%s, %s, 'machine_stop', 'breakdown', 'fault_code', %s)",
                (ticket, received, str(fault_code)),
            )
    return ticket


async def test_a_major_fault_is_archived_only_after_its_rca(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    ticket = await _ticket(seeded_pool, severity="major")

    refused = await move(client, ticket, "archived", DESK)
    before = (await client.get(f"/api/tickets/{ticket}/rca", headers=SUPPORT)).json()
    saved = await client.put(f"/api/tickets/{ticket}/rca", json=RCA, headers=SUPPORT)
    archived = await move(client, ticket, "archived", DESK)

    assert refused.status_code == 409
    assert refusal_of(refused) == {
        "message": "Refused: a root cause analysis with corrective and preventive actions is"
        f" required before archiving (major fault): record it with PUT /api/tickets/{ticket}/rca.",
        "status": "reviewed",
        "allowed_next": ["archived", "complaint"],
    }
    assert (before["required"], before["reasons"], before["blocks_archive"], before["rca"]) == (
        True,
        ["major fault"],
        True,
        None,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["blocks_archive"] is False
    assert saved.json()["rca"]["preventive_actions"] == [
        {"action": "Halve the lubrication interval", "owner": "planning", "due_on": "2026-03-20"}
    ]
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    events = archived.json()["events"]
    assert any(e["kind"] == "rca" and e["actor"] == "demo-support" for e in events)


async def test_the_same_fault_code_within_30_days_is_a_repeat_that_needs_an_rca(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    first = await _ticket(seeded_pool, days_ago=12, fault_code=41)
    again = await _ticket(seeded_pool, fault_code=41)
    other = await _ticket(seeded_pool, fault_code=7)
    async with seeded_pool.connection() as conn:
        # Another warning, on other signals: neither its code nor its signals repeat.
        await conn.execute("UPDATE tickets SET signals = '{motor_current}' WHERE id = %s", (other,))

    state = (await client.get(f"/api/tickets/{again}/rca", headers=DESK)).json()
    first_state = (await client.get(f"/api/tickets/{first}/rca", headers=DESK)).json()

    assert state["required"] is True
    assert state["reasons"][0].startswith("repeat fault: PLC fault code 41 on l1-filler")
    assert first_state["required"] is False
    assert (await move(client, again, "archived", DESK)).status_code == 409
    assert (await move(client, other, "archived", DESK)).status_code == 200


async def test_an_rca_without_a_preventive_action_is_refused_with_a_message(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    ticket = await _ticket(seeded_pool, severity="major")

    empty = await client.put(
        f"/api/tickets/{ticket}/rca", json={**RCA, "preventive_actions": []}, headers=SUPPORT
    )
    missing = await client.put(
        f"/api/tickets/{ticket}/rca",
        json={k: v for k, v in RCA.items() if k != "corrective_actions"},
        headers=SUPPORT,
    )

    assert empty.status_code == 422
    assert empty.json()["detail"] == "a root cause analysis needs a preventive action"
    assert missing.status_code == 422


async def test_the_rca_is_internal_to_the_service_department(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    ticket = await _ticket(seeded_pool, severity="major")

    read = await client.get(f"/api/tickets/{ticket}/rca", headers=NORDBRAU)
    write = await client.put(f"/api/tickets/{ticket}/rca", json=RCA, headers=NORDBRAU)

    assert (read.status_code, write.status_code) == (403, 403)
