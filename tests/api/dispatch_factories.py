"""Tickets ready to dispatch, registered and classified through the API as the desk would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import DESK

FIELD_1 = {"Authorization": "Bearer demo-field-1"}  # Hamburg, filling lines
FIELD_2 = {"Authorization": "Bearer demo-field-2"}  # Zurich, case packing line
FIELD_3 = {"Authorization": "Bearer demo-field-3"}  # Munich, filler certificate expired

FILLER_FAULT: dict[str, Any] = {
    "line_id": "line-1",
    "machine_id": "l1-filler",
    "channel": "hotline",
    "ticket_type": "general_fault",
    "severity": "serious",
    "summary": "Filler main drive runs hot",
    "symptoms": "Bearing temperature up 15 K since the early shift; a grinding noise.",
    "contact_name": "Jonas Brandt",
    "contact_phone": "+49 40 555 0199",
}


async def registered_ticket(client: httpx.AsyncClient, **changes: Any) -> int:
    """A ticket the desk registered from a phone call (the Hamburg filler by default)."""
    response = await client.post("/api/tickets", json={**FILLER_FAULT, **changes}, headers=DESK)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def classified_ticket(client: httpx.AsyncClient, **changes: Any) -> int:
    """A registered ticket the desk has classified, ready to dispatch."""
    ticket = await registered_ticket(client, **changes)
    response = await move(client, ticket, "classified", DESK)
    assert response.status_code == 200, response.text
    return ticket


async def move(
    client: httpx.AsyncClient, ticket: int, to: str, headers: dict[str, str], note: str = ""
) -> httpx.Response:
    return await client.post(
        f"/api/tickets/{ticket}/transitions", json={"to": to, "note": note}, headers=headers
    )


async def dispatch(
    client: httpx.AsyncClient,
    ticket: int,
    engineer: str,
    headers: dict[str, str] = DESK,
    *,
    key: str = "",
    **body: Any,
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/tickets/{ticket}/dispatch",
        json={"engineer": engineer, **body},
        headers={**headers, **extra},
    )
