"""Shared pieces of the ticket closure tests: a field engineer and report bodies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from models.users import Role
from storage.connections import Connection
from storage.user_store import create_user

ENGINEER = {"Authorization": "Bearer closure-engineer"}


async def add_engineer(conn: Connection) -> None:
    await create_user(
        conn,
        login="eng-weber",
        display_name="K. Weber",
        role=Role.FIELD_ENGINEER,
        customer_id=None,
        token="closure-engineer",
    )


async def assign(conn: Connection, ticket: int) -> None:
    """Dispatch the ticket to the engineer: field engineers work only their own jobs."""
    await conn.execute(
        "INSERT INTO ticket_assignments (ticket_id, engineer_login, dispatched_by, dispatched_at)"
        " VALUES (%s, 'eng-weber', 'demo-desk', now())",
        (ticket,),
    )


def report_body(at: datetime, **changes: Any) -> dict[str, Any]:
    """A bearing replacement on the filler: failure an hour before ``at``, restored at ``at``."""
    body: dict[str, Any] = {
        "symptoms": "Filler bearing runs hot, rising vibration",
        "diagnosis": "Outer race of the main drive bearing pitted",
        "root_cause": "Lubrication interval too long for the new product's speed",
        "actions_taken": "Replaced the main drive bearing, re-greased, test run 30 min",
        "state_before": "Line stopped on fault 41",
        "state_after": "Running at rated speed, vibration normal",
        "failure_at": (at - timedelta(hours=3)).isoformat(),
        "arrived_at": (at - timedelta(hours=1)).isoformat(),
        "restored_at": at.isoformat(),
        "remaining_issues": "Seal shows wear",
        "advice": "Shorten the lubrication interval to 250 h",
        "measurements": [
            {"name": "vibration_rms before", "value": 7.9, "unit": "mm/s"},
            {"name": "vibration_rms after", "value": 1.8, "unit": "mm/s"},
        ],
        "parts": [
            {
                "part_number": "SKF-6205-2RS",
                "serial": "B-2026-0042",
                "quantity": 1,
                "position": "main drive, drive side",
            }
        ],
    }
    body.update(changes)
    return body


async def move(
    client: httpx.AsyncClient, ticket: int, to: str, headers: dict[str, str], note: str = ""
) -> httpx.Response:
    return await client.post(
        f"/api/tickets/{ticket}/transitions", json={"to": to, "note": note}, headers=headers
    )


async def set_status(conn: Connection, ticket: int, status: str) -> None:
    """Put a ticket where a test starts, without walking the whole lifecycle."""
    await conn.execute("UPDATE tickets SET status = %s WHERE id = %s", (status, ticket))
