"""Intake through the API: the desk and the customer portal, warranty, idempotency, read-back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU
from tests.api.factories import T0

pytestmark = pytest.mark.integration

PHONE_CALL: dict[str, Any] = {
    "line_id": "line-2",
    "machine_id": "l2-capper",
    "channel": "hotline",
    "ticket_type": "general_fault",
    "severity": "general",
    "summary": "Capper loses torque on every tenth bottle",
    "symptoms": "Caps loose since the night shift; no alarm on the HMI.",
    "contact_name": "Jonas Brandt",
    "contact_phone": "+49 40 555 0199",
    "special_requirements": "Site access only with safety shoes; call the gate first.",
    "expected_resolution": "2026-03-03T12:00:00+01:00",
}


@pytest.fixture
def now(app: FastAPI) -> Iterator[datetime]:
    fixed = T0
    app.state.ticket_clock = lambda: fixed
    yield fixed


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], key: str = ""
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post("/api/tickets", json=body, headers={**headers, **extra})


async def test_the_desk_registers_a_phone_call_with_the_full_record(
    client: httpx.AsyncClient, now: datetime
) -> None:
    response = await _create(client, DESK, PHONE_CALL)

    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["status"] == "registered"
    assert (ticket["customer_id"], ticket["contract_number"]) == ("nordbrau", "SC-2025-0042")
    assert (ticket["machine_model"], ticket["machine_serial"]) == ("CAP-6", "CAP6-39950")
    assert (ticket["contact_name"], ticket["contact_phone"]) == ("Jonas Brandt", "+49 40 555 0199")
    assert ticket["contact_email"] == "a.keller@nordbrau.example"  # from the contract's contact
    assert ticket["channel"] == "hotline" and ticket["created_by"] == "demo-desk"
    assert ticket["received_at"] == "2026-03-02T13:00:00+01:00"
    assert ticket["response_due"] == "2026-03-02T15:00:00+01:00"
    assert ticket["expected_resolution"] == "2026-03-03T12:00:00+01:00"
    assert ticket["under_warranty"] is False  # line 2 accepted 2023-09-02, twelve months
    assert [c["kind"] for c in ticket["sla"]] == ["response", "arrival", "resolution"]
    assert [e["kind"] for e in ticket["events"]] == ["registered", "confirmation"]


async def test_the_confirmation_reads_the_request_back(
    client: httpx.AsyncClient, now: datetime
) -> None:
    notice = (await _create(client, DESK, PHONE_CALL)).json()["confirmation"]

    assert notice.startswith("Dear Jonas Brandt,")
    assert "Capper (CAP-6, serial CAP6-39950)" in notice
    assert "Filling line 2 (FL-3000, serial FL3-2023-0094)" in notice
    assert "received 02 Mar 2026 13:00 (Europe/Berlin) by hotline" in notice
    assert "Special requirements: Site access only with safety shoes" in notice
    assert "a first response by 02 Mar 2026 15:00" in notice
    assert "outside the warranty" in notice


async def test_a_warranty_override_needs_a_reason_and_is_audited(
    client: httpx.AsyncClient, now: datetime
) -> None:
    without = await _create(client, DESK, {**PHONE_CALL, "under_warranty": True})
    with_reason = await _create(
        client,
        DESK,
        {**PHONE_CALL, "under_warranty": True, "warranty_override_reason": "goodwill: retrofit"},
    )

    assert without.status_code == 422
    assert (
        without.json()["detail"] == "overriding the warranty derived from the line needs a reason"
    )
    body = with_reason.json()
    assert body["under_warranty"] is True
    assert body["warranty_override_reason"] == "goodwill: retrofit"
    override = next(e for e in body["events"] if e["kind"] == "warranty_override")
    assert (override["old_value"], override["new_value"]) == ("false", "true")


async def test_a_customer_registers_in_the_portal_for_their_own_line_only(
    client: httpx.AsyncClient, now: datetime
) -> None:
    portal = {k: v for k, v in PHONE_CALL.items() if k != "channel"}

    own = await _create(client, NORDBRAU, portal)
    foreign = await _create(client, ALPENPACK, portal)
    by_phone = await _create(client, NORDBRAU, PHONE_CALL)

    assert own.status_code == 201 and own.json()["channel"] == "web_portal"
    assert foreign.status_code == 404
    assert by_phone.status_code == 403


async def test_the_same_idempotency_key_registers_one_ticket(
    client: httpx.AsyncClient, now: datetime, seeded_pool: Pool
) -> None:
    first, second = await asyncio.gather(
        _create(client, DESK, PHONE_CALL, key="call-4711"),
        _create(client, DESK, PHONE_CALL, key="call-4711"),
    )
    again = await _create(client, DESK, PHONE_CALL, key="call-4711")

    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["id"] == second.json()["id"] == again.json()["id"]
    assert again.status_code == 200
    assert again.json()["confirmation"] == first.json()["confirmation"]
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM tickets")
        assert await cursor.fetchone() == (1,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"machine_id": "l3-sealer"}, "machine 'l3-sealer' stands in line 'line-3', not 'line-2'"),
        ({"machine_id": "nope"}, "machine 'nope' is not in the plant file"),
        ({"channel": "automatic_warning"}, "automatic_warning is the channel of early warnings"),
        ({"channel": "maintenance_plan"}, "maintenance_plan is the channel of the maintenance"),
        ({"received_at": "2026-03-03T12:00:00Z"}, "received_at lies in the future"),
    ],
)
async def test_bad_requests_are_refused_with_a_message(
    client: httpx.AsyncClient, now: datetime, change: dict[str, str], message: str
) -> None:
    response = await _create(client, DESK, {**PHONE_CALL, **change})

    assert response.status_code == 422
    assert message in response.json()["detail"]


async def test_missing_fields_answer_422(client: httpx.AsyncClient, now: datetime) -> None:
    response = await _create(client, DESK, {"line_id": "line-1"})

    assert response.status_code == 422
    assert "summary" in response.text


async def test_a_request_received_earlier_keeps_its_time(
    client: httpx.AsyncClient, now: datetime
) -> None:
    earlier = (now - timedelta(minutes=30)).isoformat()

    body = (await _create(client, DESK, {**PHONE_CALL, "received_at": earlier})).json()

    assert body["received_at"] == "2026-03-02T12:30:00+01:00"
