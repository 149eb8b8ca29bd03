"""The service report through the API: filing, versions, validation, who may, audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from storage import service_report_store
from storage.connections import Pool
from tests.api.closure_factories import ENGINEER, add_engineer, assign, report_body, set_status
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0, insert_ticket
from tests.api.problems import refusal_of

pytestmark = pytest.mark.integration


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


async def _file(
    client: httpx.AsyncClient, ticket: int, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    return await client.put(f"/api/tickets/{ticket}/report", json=body, headers=headers)


async def test_the_engineer_files_the_report_and_the_ticket_keeps_its_state(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    response = await _file(client, ticket, report_body(clock.now), ENGINEER)

    assert response.status_code == 200, response.text
    state = response.json()
    assert (state["status"], state["versions"], state["editable"]) == ("on_site", 1, True)
    report = state["report"]
    assert report["version"] == 1 and report["filed_by"] == "eng-weber"
    assert report["filed_by_role"] == "field_engineer"
    assert report["parts"] == [
        {
            "part_number": "SKF-6205-2RS",
            "serial": "B-2026-0042",
            "quantity": 1,
            "position": "main drive, drive side",
            "monitored": True,
            "removed_serial": "",
            "failure_reason": "",
            "issued_from": "",
            "returned_to": "",
            "scrapped": False,
        }
    ]
    assert report["measurements"][1] == {
        "name": "vibration_rms after",
        "value": 1.8,
        "unit": "mm/s",
    }
    assert report["restored_at"] == "2026-03-02T18:00:00Z"
    events = (await client.get(f"/api/tickets/{ticket}", headers=DESK)).json()["events"]
    filed = next(e for e in events if e["kind"] == "service_report")
    assert (filed["actor"], filed["field"], filed["old_value"], filed["new_value"]) == (
        "eng-weber",
        "report_version",
        None,
        "1",
    )
    assert any(e["kind"] == "baseline_reset_requested" for e in events)


async def test_an_engineer_on_site_before_the_failure_files_the_report(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    """An early warning brings the engineer before the breakdown: that is no error."""
    body = report_body(
        clock.now,
        arrived_at=(clock.now - timedelta(hours=4)).isoformat(),
        failure_at=(clock.now - timedelta(hours=2)).isoformat(),
    )

    response = await _file(client, ticket, body, ENGINEER)

    assert response.status_code == 200, response.text
    assert response.json()["report"]["arrived_at"] == "2026-03-02T14:00:00Z"


async def test_a_revised_report_is_a_new_version_and_the_old_one_stays_readable(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _file(client, ticket, report_body(clock.now), ENGINEER)
    clock.advance(minutes=30)
    revised = await _file(
        client, ticket, report_body(clock.now, advice="Replace the seal at the next stop"), SUPPORT
    )

    assert revised.json()["versions"] == 2
    assert revised.json()["report"]["advice"] == "Replace the seal at the next stop"
    first = await client.get(f"/api/tickets/{ticket}/report?version=1", headers=NORDBRAU)
    assert first.status_code == 200
    assert first.json()["report"]["advice"] == "Shorten the lubrication interval to 250 h"
    missing = await client.get(f"/api/tickets/{ticket}/report?version=3", headers=DESK)
    assert missing.status_code == 404


async def test_a_revision_without_monitored_parts_withdraws_the_new_baseline(
    client: httpx.AsyncClient, ticket: int, clock: Clock, seeded_pool: Pool
) -> None:
    await _file(client, ticket, report_body(clock.now), ENGINEER)
    cover = [{"part_number": "COVER-7", "quantity": 2, "position": "guard", "monitored": False}]
    await _file(client, ticket, report_body(clock.now, parts=cover), ENGINEER)

    async with seeded_pool.connection() as conn:
        reset = await service_report_store.baseline_reset_of(conn, ticket_id=ticket)
    assert reset is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"restored_at": "2026-03-02T14:00:00Z"},
            "restored_at lies before failure_at: the line cannot run again first",
        ),
        ({"diagnosis": "   "}, "diagnosis must not be empty"),
        ({"restored_at": "2026-03-03T18:00:00Z"}, "restored_at lies in the future"),
        ({"arrived_at": "2026-03-02T11:00:00Z", "failure_at": None}, "arrived_at lies before"),
        (
            {"parts": [{"part_number": "P1", "serial": "S1", "quantity": 2}]},
            "part P1 with a serial number has quantity 1",
        ),
        (
            {"restored_at": None},
            "a report that replaces parts needs restored_at",
        ),
    ],
)
async def test_a_report_that_does_not_hold_together_is_refused_with_the_reason(
    client: httpx.AsyncClient,
    ticket: int,
    clock: Clock,
    changes: dict[str, object],
    message: str,
) -> None:
    response = await _file(client, ticket, report_body(clock.now, **changes), ENGINEER)

    assert response.status_code == 422
    assert message in response.json()["detail"]
    state = (await client.get(f"/api/tickets/{ticket}/report", headers=DESK)).json()
    assert state["report"] is None and state["versions"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"parts": [{"part_number": "P1", "quantity": 0}]},
        {"measurements": [{"name": "x", "value": "high"}]},
        {"restored_at": "2026-03-02T18:00:00"},  # no time zone
        {"colour": "blue"},
    ],
)
async def test_malformed_input_answers_422(
    client: httpx.AsyncClient, ticket: int, clock: Clock, changes: dict[str, object]
) -> None:
    response = await _file(client, ticket, report_body(clock.now, **changes), ENGINEER)

    assert response.status_code == 422
    assert response.json()["detail"]


async def test_no_report_before_the_work_began_nor_after_the_sign_off(
    client: httpx.AsyncClient, ticket: int, clock: Clock, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await set_status(conn, ticket, "classified")
    early = await _file(client, ticket, report_body(clock.now), ENGINEER)
    async with seeded_pool.connection() as conn:
        await set_status(conn, ticket, "signed_off")
    late = await _file(client, ticket, report_body(clock.now), ENGINEER)
    state = (await client.get(f"/api/tickets/{ticket}/report", headers=DESK)).json()

    assert early.status_code == 409
    assert "a report is filed once the work has begun" in refusal_of(early)["message"]
    assert late.status_code == 409
    assert "signed off and can no longer change" in refusal_of(late)["message"]
    assert state["editable"] is False
    assert "signed off" in state["not_editable_because"]


async def test_customers_read_their_own_report_but_do_not_file_one(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _file(client, ticket, report_body(clock.now), ENGINEER)

    own = await client.get(f"/api/tickets/{ticket}/report", headers=NORDBRAU)
    filed = await _file(client, ticket, report_body(clock.now), NORDBRAU)

    assert own.status_code == 200 and own.json()["report"]["version"] == 1
    assert filed.status_code == 403
    # The engineer by the team's name, not by login; staff read both.
    report = own.json()["report"]
    assert (report["filed_by"], report["filed_by_name"]) == (None, "LineCare service team")
    staff = (await client.get(f"/api/tickets/{ticket}/report", headers=DESK)).json()["report"]
    assert staff["filed_by"] and staff["filed_by"] not in own.text


async def test_another_customer_gets_404_and_learns_nothing(
    client: httpx.AsyncClient, ticket: int, clock: Clock
) -> None:
    await _file(client, ticket, report_body(clock.now), ENGINEER)

    read = await client.get(f"/api/tickets/{ticket}/report", headers=ALPENPACK)
    write = await _file(client, ticket, report_body(clock.now), ALPENPACK)
    missing = await client.get("/api/tickets/999999/report", headers=DESK)

    assert read.status_code == write.status_code == missing.status_code == 404
    assert read.json()["detail"] == f"ticket {ticket} not found"


async def test_a_field_engineer_files_reports_only_for_their_own_jobs(
    client: httpx.AsyncClient, ticket: int, clock: Clock, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE ticket_assignments SET released_at = now()")

    filed = await _file(client, ticket, report_body(clock.now), ENGINEER)
    read = await client.get(f"/api/tickets/{ticket}/report", headers=ENGINEER)

    assert filed.status_code == read.status_code == 404
