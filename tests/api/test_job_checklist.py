"""The maintenance checklist on the engineer's job: listed on /api/my-jobs with the task's
duration, line stop, skills and parts; answered item by item by the engineer on the job
only; the same answer twice is one answer; and a planned-maintenance report is filed
only once every item is answered (docs/maintenance.md, "The checklist on the job")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file
from models.users import Role
from storage import maintenance_store
from storage.connections import Pool
from storage.user_store import create_user
from tests.api.closure_factories import report_body
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.dispatch_factories import (
    FIELD_1,
    FIELD_2,
    classified_ticket,
    dispatch,
    move,
)
from tests.api.factories import T0

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).parents[2] / "config"
ADMIN = {"Authorization": "Bearer checklist-admin"}
ITEMS = (
    "Inspect valve seals for wear and leaks",
    "Check level probe calibration against the sight glass",
    "Verify CIP spray ball coverage",
)


@pytest.fixture
async def admin(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="admin",
            display_name="Administrator",
            role=Role.ADMIN,
            customer_id=None,
            token="checklist-admin",
        )


@pytest.fixture
async def pm_job(client: httpx.AsyncClient, clock: Clock, seeded_pool: Pool) -> tuple[int, int]:
    """The filler's valve inspection (three checklist items), dispatched to the Hamburg
    engineer, who is not on site yet. Returns the ticket and the occurrence."""
    await import_plan_file(seeded_pool, CONFIG_DIR / PLAN_FILE_NAME, at=T0)
    ticket = await classified_ticket(
        client,
        ticket_type="preventive_maintenance",
        severity="minor",
        summary="Planned maintenance: Filling valve and CIP inspection",
    )
    async with seeded_pool.connection() as conn:
        occurrence = await maintenance_store.insert_occurrence(
            conn,
            machine_id="l1-filler",
            line_id="line-1",
            task_key="valve-inspection",
            sequence=1,
            due_at=T0 + timedelta(days=1),
            window=(T0 + timedelta(days=1), T0 + timedelta(days=1, hours=3)),
            stops_line=True,
            opened_at=T0,
        )
        assert occurrence is not None
        await maintenance_store.attach_ticket(conn, occurrence_id=occurrence.id, ticket_id=ticket)
    clock.advance(minutes=10)
    response = await dispatch(client, ticket, "demo-field-1")
    assert response.status_code == 201, response.text
    return ticket, occurrence.id


@pytest.fixture
async def on_site(client: httpx.AsyncClient, pm_job: tuple[int, int], clock: Clock) -> int:
    ticket, _ = pm_job
    for target in ("en_route", "on_site"):
        clock.advance(minutes=30)
        moved = await move(client, ticket, target, FIELD_1)
        assert moved.status_code == 200, moved.text
    return ticket


def _url(ticket: int, occurrence: int, position: int) -> str:
    return f"/api/v1/tickets/{ticket}/checklist/{occurrence}/{position}"


async def _answer(
    client: httpx.AsyncClient,
    ticket: int,
    occurrence: int,
    position: int,
    outcome: str = "ok",
    note: str = "",
    headers: dict[str, str] = FIELD_1,
    item: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"item": item or ITEMS[position - 1], "outcome": outcome, "note": note}
    return await client.put(_url(ticket, occurrence, position), json=body, headers=headers)


async def test_the_job_lists_the_task_with_its_checklist_duration_line_stop_skills_and_parts(
    client: httpx.AsyncClient, pm_job: tuple[int, int]
) -> None:
    ticket, occurrence = pm_job
    [job] = (await client.get("/api/my-jobs", headers=FIELD_1)).json()

    checklist = job["checklist"]
    [task] = checklist["tasks"]
    assert (job["order"]["ticket_id"], task["occurrence_id"]) == (ticket, occurrence)
    assert task["title"] == "Filling valve and CIP inspection"
    assert (task["duration_hours"], task["stops_line"]) == (3.0, True)
    assert task["skills"] == ["mechanical", "hygiene"]
    assert task["parts"] == [{"part_number": "FIL12-LEVEL-PROBE", "quantity": 1}]
    assert [i["text"] for i in task["items"]] == list(ITEMS)
    assert [i["answer"] for i in task["items"]] == [None, None, None]
    assert task["items"][0]["answer_url"] == _url(ticket, occurrence, 1)
    assert (checklist["items"], checklist["unanswered"]) == (3, 3)
    # Not on site yet: the items are read, not answered.
    assert checklist["may_answer"] is False
    assert "the work has begun" in checklist["may_answer_because"]
    early = await _answer(client, ticket, occurrence, 1)
    assert early.status_code == 409
    assert "the work has begun" in early.json()["detail"]


async def test_the_engineer_answers_items_and_staff_read_them_with_who_and_when(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int, clock: Clock
) -> None:
    ticket, occurrence = pm_job
    ok = await _answer(client, ticket, occurrence, 1, note="seals fine")
    finding = await _answer(client, ticket, occurrence, 2, "not_ok", "probe reads 4 mm high")

    assert ok.status_code == finding.status_code == 200, finding.text
    assert ok.json()["changed"] is True
    read = (await client.get(f"/api/tickets/{ticket}/checklist", headers=DESK)).json()
    items = read["tasks"][0]["items"]
    assert items[0]["answer"]["outcome"] == "ok"
    assert items[0]["answer"]["note"] == "seals fine"
    assert items[1]["answer"] == {
        "outcome": "not_ok",
        "note": "probe reads 4 mm high",
        "answered_by": "demo-field-1",
        "answered_at": clock.now.isoformat().replace("+00:00", "Z"),
    }
    assert items[2]["answer"] is None
    assert (read["unanswered"], read["findings"]) == (1, 1)
    assert read["may_answer"] is False  # the desk reads; the engineer answers
    mine = (await client.get(f"/api/tickets/{ticket}/checklist", headers=FIELD_1)).json()
    assert mine["may_answer"] is True


async def test_the_same_answer_twice_is_one_answer_and_a_new_one_replaces_it(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int, clock: Clock
) -> None:
    ticket, occurrence = pm_job
    first = await _answer(client, ticket, occurrence, 3)
    clock.advance(minutes=7)
    again = await _answer(client, ticket, occurrence, 3)
    clock.advance(minutes=7)
    changed = await _answer(client, ticket, occurrence, 3, "not_applicable", "no CIP on site")

    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert again.json()["item"] == first.json()["item"]  # the first time stays
    assert changed.json()["changed"] is True
    assert changed.json()["item"]["answer"]["outcome"] == "not_applicable"
    assert changed.json()["item"]["answer"]["answered_at"] == clock.now.isoformat().replace(
        "+00:00", "Z"
    )


async def test_only_the_engineer_on_the_job_or_an_admin_answers(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int, admin: None
) -> None:
    ticket, occurrence = pm_job
    desk = await _answer(client, ticket, occurrence, 1, headers=DESK)
    support = await _answer(client, ticket, occurrence, 1, headers=SUPPORT)
    other_engineer = await _answer(client, ticket, occurrence, 1, headers=FIELD_2)
    other_engineer_reads = await client.get(f"/api/tickets/{ticket}/checklist", headers=FIELD_2)
    by_admin = await _answer(client, ticket, occurrence, 1, headers=ADMIN)

    assert desk.status_code == support.status_code == 403
    assert "field engineer on the job" in desk.json()["detail"]
    assert other_engineer.status_code == other_engineer_reads.status_code == 404
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["item"]["answer"]["answered_by"] == "admin"


async def test_customers_get_404_their_own_ticket_included(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int
) -> None:
    ticket, occurrence = pm_job
    for customer in (NORDBRAU, ALPENPACK):
        read = await client.get(f"/api/tickets/{ticket}/checklist", headers=customer)
        write = await _answer(client, ticket, occurrence, 1, headers=customer)
        assert read.status_code == write.status_code == 404
    jobs = await client.get("/api/my-jobs", headers=NORDBRAU)
    assert jobs.status_code == 404
    assert "ticket_id" not in jobs.text


async def test_bad_answers_are_refused_with_the_reason(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int
) -> None:
    ticket, occurrence = pm_job
    finding_without_note = await _answer(client, ticket, occurrence, 2, "not_ok")
    skipped_without_reason = await _answer(client, ticket, occurrence, 2, "not_applicable")
    unknown_item = await _answer(client, ticket, occurrence, 4, item="Polish the chrome")
    other_occurrence = await _answer(client, ticket, occurrence + 1000, 1)
    changed_text = await _answer(client, ticket, occurrence, 1, item="Inspect the seals")
    bad_outcome = await _answer(client, ticket, occurrence, 1, "maybe")

    assert finding_without_note.status_code == 422
    assert "what was found" in finding_without_note.json()["detail"]
    assert skipped_without_reason.status_code == 422
    assert "reason" in skipped_without_reason.json()["detail"]
    assert unknown_item.status_code == other_occurrence.status_code == 404
    assert changed_text.status_code == 409
    assert "the checklist changed" in changed_text.json()["detail"]
    assert bad_outcome.status_code == 422
    state = (await client.get(f"/api/tickets/{ticket}/checklist", headers=FIELD_1)).json()
    assert state["unanswered"] == 3


async def test_the_report_waits_for_every_item_and_not_applicable_needs_a_reason(
    client: httpx.AsyncClient, pm_job: tuple[int, int], on_site: int, clock: Clock
) -> None:
    ticket, occurrence = pm_job
    body = report_body(clock.now - timedelta(minutes=1), parts=[])
    await _answer(client, ticket, occurrence, 1)
    refused = await client.put(f"/api/tickets/{ticket}/report", json=body, headers=FIELD_1)

    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "2 of 3 items unanswered" in detail
    assert ITEMS[1] in detail and ITEMS[2] in detail and ITEMS[0] not in detail
    nothing = (await client.get(f"/api/tickets/{ticket}/report", headers=DESK)).json()
    assert nothing["report"] is None

    await _answer(client, ticket, occurrence, 2, "not_ok", "probe drifted, recalibrated")
    await _answer(client, ticket, occurrence, 3, "not_applicable", "CIP runs by the customer")
    filed = await client.put(f"/api/tickets/{ticket}/report", json=body, headers=FIELD_1)

    assert filed.status_code == 200, filed.text
    assert filed.json()["report"]["version"] == 1


async def test_a_ticket_no_plan_opened_has_no_checklist_and_files_freely(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    ticket = await classified_ticket(client)
    clock.advance(minutes=30)
    await dispatch(client, ticket, "demo-field-1")
    for target in ("en_route", "on_site"):
        clock.advance(minutes=30)
        await move(client, ticket, target, FIELD_1)

    read = await client.get(f"/api/tickets/{ticket}/checklist", headers=FIELD_1)
    filed = await client.put(
        f"/api/tickets/{ticket}/report",
        json=report_body(clock.now - timedelta(minutes=1), parts=[]),
        headers=FIELD_1,
    )

    assert read.json()["tasks"] == [] and read.json()["unanswered"] == 0
    assert filed.status_code == 200, filed.text
