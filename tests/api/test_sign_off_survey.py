"""After the repair: sign-off or a reasoned refusal, the survey and the callback, to the archive."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storage.connections import Pool
from tests.api.closure_factories import (
    ENGINEER,
    add_engineer,
    assign,
    move,
    report_body,
    set_status,
)
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration

SURVEY = {
    "attitude": 5,
    "response_speed": 4,
    "technical_skill": 5,
    "effectiveness": 4,
    "overall": 5,
    "comments": "Quick and tidy",
}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0 + timedelta(hours=6))
    app.state.ticket_clock = fixed
    yield fixed


@pytest.fixture
async def ticket(seeded_pool: Pool) -> int:
    """A Nordbräu ticket with the engineer on site."""
    async with seeded_pool.connection() as conn:
        await add_engineer(conn)
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        await set_status(conn, ticket, "on_site")
        await assign(conn, ticket)
    return ticket


async def _verified(client: httpx.AsyncClient, ticket: int, clock: Clock) -> None:
    """The report filed, the line restored, and the fix verified with the customer."""
    filed = await client.put(
        f"/api/tickets/{ticket}/report", json=report_body(clock.now), headers=ENGINEER
    )
    assert filed.status_code == 200, filed.text
    for target in ("repaired", "verified"):
        clock.advance(minutes=20)
        moved = await move(client, ticket, target, DESK)
        assert moved.status_code == 200, moved.text


async def _sign(
    client: httpx.AsyncClient, ticket: int, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/tickets/{ticket}/sign-off", json=body, headers=headers)


async def _survey(
    client: httpx.AsyncClient,
    ticket: int,
    headers: dict[str, str],
    key: str | None = None,
    **body: Any,
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/tickets/{ticket}/survey", json={**SURVEY, **body}, headers={**headers, **extra}
    )


async def _kinds(client: httpx.AsyncClient, ticket: int) -> list[str]:
    events = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()["events"]
    return [e["kind"] for e in events]


async def test_a_ticket_goes_from_report_through_sign_off_and_survey_to_the_archive(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)
    waiting = (await client.get(f"/api/tickets/{ticket}/report", headers=NORDBRAU)).json()
    assert waiting["sign_off_requested"] is True
    assert "sign_off_requested" in await _kinds(client, ticket)

    clock.advance(hours=1)
    signed = await _sign(client, ticket, NORDBRAU, accepted=True, comments="All good")
    assert signed.status_code == 200, signed.text
    assert signed.json() == {
        "ticket_id": ticket,
        "status": "signed_off",
        "sign_off": {
            "report_version": 1,
            "accepted": True,
            "comments": "All good",
            "reason": "",
            "signer_name": "Nordbrau plant (demo)",
            "recorded_by": "demo-nordbrau",
            "recorded_by_name": "Nordbrau plant (demo)",
            "on_behalf": False,
            "at": "2026-03-02T19:40:00Z",
        },
    }

    answered = await _survey(client, ticket, NORDBRAU, key="survey-1")
    again = await _survey(client, ticket, NORDBRAU, key="survey-1")
    callback = await client.post(
        f"/api/tickets/{ticket}/callbacks",
        json={"contact_name": "A. Brauer", "problem_gone": True, "notes": "runs fine"},
        headers={**DESK, "Idempotency-Key": "cb-1"},
    )
    assert (answered.status_code, again.status_code, callback.status_code) == (201, 200, 201)
    assert answered.json()["average"] == 4.6 and answered.json()["on_behalf"] is False
    assert again.json() == answered.json()

    for target, headers in (("survey", DESK), ("reviewed", SUPPORT), ("archived", DESK)):
        clock.advance(minutes=30)
        moved = await move(client, ticket, target, headers)
        assert moved.status_code == 200, moved.text

    after = (await client.get(f"/api/tickets/{ticket}/survey", headers=NORDBRAU)).json()
    assert after["status"] == "archived"
    assert after["survey"]["overall"] == 5
    # The customer reads who called as the team, not by the desk's login.
    assert [
        (c["called_by"], c["called_by_name"], c["problem_gone"]) for c in after["callbacks"]
    ] == [(None, "LineCare service team", True)]
    kinds = await _kinds(client, ticket)
    assert {"service_report", "sign_off_requested", "survey", "callback"} <= set(kinds)


async def test_a_reasoned_refusal_reopens_the_ticket_and_the_report(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)

    no_reason = await _sign(client, ticket, NORDBRAU, accepted=False)
    refused = await _sign(
        client, ticket, NORDBRAU, accepted=False, reason="Filler still leaks at station 3"
    )

    assert no_reason.status_code == 422
    assert "a refusal needs a reason" in no_reason.text
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "reopened"
    report = (await client.get(f"/api/tickets/{ticket}/report", headers=NORDBRAU)).json()
    assert report["editable"] is True
    assert [(s["accepted"], s["reason"]) for s in report["sign_offs"]] == [
        (False, "Filler still leaks at station 3")
    ]
    ticket_body = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    reopened = ticket_body["events"][-1]
    assert (reopened["new_value"], reopened["note"]) == (
        "reopened",
        "Filler still leaks at station 3",
    )
    assert ticket_body["sla"][2]["met_at"] is None  # the resolution clock runs again


async def test_the_desk_signs_for_the_customer_only_naming_who_signed(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)

    unnamed = await _sign(client, ticket, DESK, accepted=True)
    named = await _sign(client, ticket, DESK, accepted=True, signer_name="A. Brauer (paper form)")

    assert unnamed.status_code == 422 and "signer_name" in unnamed.text
    assert named.status_code == 200
    record = named.json()["sign_off"]
    assert (record["on_behalf"], record["recorded_by"], record["signer_name"]) == (
        True,
        "demo-desk",
        "A. Brauer (paper form)",
    )


async def test_sign_off_needs_a_verified_ticket_with_a_report(
    client: httpx.AsyncClient, ticket: int, clock: Clock, seeded_pool: Pool
) -> None:
    early = await _sign(client, ticket, NORDBRAU, accepted=True)
    async with seeded_pool.connection() as conn:
        await set_status(conn, ticket, "verified")
    unreported = await _sign(client, ticket, NORDBRAU, accepted=True)

    assert early.status_code == 409
    assert refusal_of(early)["message"] == (
        "Refused: the ticket is on_site: the customer signs off once it is verified."
    )
    assert unreported.status_code == 409
    assert "no service report to sign off" in refusal_of(unreported)["message"]


async def test_the_survey_follows_the_sign_off_and_is_answered_once(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)
    early = await _survey(client, ticket, NORDBRAU)
    await _sign(client, ticket, NORDBRAU, accepted=True)
    bad = await _survey(client, ticket, NORDBRAU, overall=6)
    by_desk = await _survey(client, ticket, DESK)
    twice = await _survey(client, ticket, NORDBRAU)

    assert early.status_code == 409 and "follows the sign-off" in early.text
    assert bad.status_code == 422
    assert by_desk.status_code == 201 and by_desk.json()["on_behalf"] is True
    assert twice.status_code == 409 and "answered before" in twice.text


async def test_a_callback_is_the_service_departments_and_not_from_the_future(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)
    url = f"/api/tickets/{ticket}/callbacks"
    future = (clock.now + timedelta(hours=1)).isoformat()

    by_customer = await client.post(url, json={"problem_gone": True}, headers=NORDBRAU)
    ahead = await client.post(url, json={"problem_gone": True, "called_at": future}, headers=DESK)
    gone_not = await client.post(
        url, json={"problem_gone": False, "notes": "still leaks"}, headers=SUPPORT
    )

    assert by_customer.status_code == 403
    assert ahead.status_code == 422 and "future" in ahead.text
    assert gone_not.status_code == 201 and gone_not.json()["problem_gone"] is False


async def test_other_customers_get_404_on_every_closure_path(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)
    base = f"/api/tickets/{ticket}"

    answers = [
        await _sign(client, ticket, ALPENPACK, accepted=True),
        await _survey(client, ticket, ALPENPACK),
        await client.get(f"{base}/survey", headers=ALPENPACK),
        await client.post(f"{base}/callbacks", json={"problem_gone": True}, headers=ALPENPACK),
        await client.get(f"{base}/rca", headers=ALPENPACK),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all(a.json()["detail"] == f"ticket {ticket} not found" for a in answers)
    status = (await client.get(base, headers=DESK)).json()["status"]
    assert status == "verified"


async def test_a_sign_off_and_a_refusal_at_once_cannot_both_win(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _verified(client, ticket, clock)

    accepted, refused = await asyncio.gather(
        _sign(client, ticket, NORDBRAU, accepted=True),
        _sign(client, ticket, DESK, accepted=False, reason="leaks", signer_name="A. Brauer"),
    )

    assert sorted([accepted.status_code, refused.status_code]) == [200, 409]
    report = (await client.get(f"/api/tickets/{ticket}/report", headers=DESK)).json()
    assert len(report["sign_offs"]) == 1
    winner = accepted if accepted.status_code == 200 else refused
    assert report["status"] == winner.json()["status"]
