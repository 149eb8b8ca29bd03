"""The maintenance API: plans, overrides, the line's calendar (due, planned, done, late,
skipped), skipping with a reason, bad input 422, and tenant isolation on every endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file, run_maintenance_cycle
from alerts.parts_catalogue_import import read_catalogue
from alerts.ticket_commands import move_ticket
from models.oee import OeeResult, OeeScope
from models.plant import Line, Plant
from models.tickets import Ticket, TicketStatus
from storage import parts_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.oee_store import upsert_oee
from storage.ticket_store import ticket_events
from storage.user_store import find_user_by_token
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).parents[2] / "config"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def planned(app: FastAPI, seeded_pool: Pool, plant: Plant) -> Pool:
    """The shipped plans and parts catalogue; the plant clock at T0."""
    app.state.ticket_clock = lambda: T0
    await import_plan_file(seeded_pool, CONFIG_DIR / PLAN_FILE_NAME, at=T0)
    catalogue = read_catalogue((CONFIG_DIR / "parts_catalogue.csv").read_text(encoding="utf-8"))
    async with seeded_pool.connection() as conn:
        await parts_store.import_catalogue(conn, parts=catalogue.rows, by="test", at=T0)
    return seeded_pool


def _line(plant: Plant, line_id: str) -> Line:
    return next(line for _, _, line in plant.lines() if line.id == line_id)


async def _calendar(
    client: httpx.AsyncClient,
    line_id: str = "line-2",
    headers: dict[str, str] = DESK,
    *,
    since: str | None = None,
    until: str | None = None,
) -> httpx.Response:
    params = {"line_id": line_id}
    params |= {"from": since} if since is not None else {}
    params |= {"to": until} if until is not None else {}
    return await client.get("/api/maintenance/calendar", params=params, headers=headers)


async def test_plans_list_for_staff_and_only_own_models_for_customers(
    client: httpx.AsyncClient, planned: Pool
) -> None:
    staff = await client.get("/api/maintenance/plans", headers=SUPPORT)
    assert staff.status_code == 200
    assert {p["machine_model"] for p in staff.json()} == {"FIL-12", "CAP-6", "LAB-2"}
    alpenpack = await client.get("/api/maintenance/plans", headers=ALPENPACK)
    assert alpenpack.json() == []  # no filler, capper or labeller of theirs
    assert (await client.get("/api/maintenance/plans/FIL-12", headers=ALPENPACK)).status_code == 404
    nordbrau = await client.get("/api/maintenance/plans/FIL-12", headers=NORDBRAU)
    assert nordbrau.status_code == 200
    task = nordbrau.json()["tasks"][0]
    assert task["interval_kind"] == "running_hours"
    assert task["checklist"]


async def test_support_edits_a_plan_and_bad_plans_are_422(
    client: httpx.AsyncClient, planned: Pool
) -> None:
    plan = (await client.get("/api/maintenance/plans/CAP-6", headers=SUPPORT)).json()
    plan["tasks"][0]["interval"] = 300
    put = await client.put("/api/maintenance/plans/CAP-6", json=plan, headers=SUPPORT)
    assert put.status_code == 200
    again = await client.get("/api/maintenance/plans/CAP-6", headers=SUPPORT)
    assert again.json()["tasks"][0]["interval"] == 300

    plan["tasks"][0]["parts"] = [{"part_number": "NO-SUCH-PART", "quantity": 1}]
    unknown = await client.put("/api/maintenance/plans/CAP-6", json=plan, headers=SUPPORT)
    assert unknown.status_code == 422
    assert "NO-SUCH-PART" in unknown.json()["detail"]
    plan["tasks"][0]["parts"] = []
    plan["tasks"][0]["interval"] = -1
    assert (
        await client.put("/api/maintenance/plans/CAP-6", json=plan, headers=SUPPORT)
    ).status_code == 422
    plan["tasks"][0]["interval"] = 10
    wrong_model = await client.put("/api/maintenance/plans/LAB-2", json=plan, headers=SUPPORT)
    assert wrong_model.status_code == 422
    assert (
        await client.put("/api/maintenance/plans/CAP-6", json=plan, headers=DESK)
    ).status_code == 403
    assert (
        await client.put("/api/maintenance/plans/CAP-6", json=plan, headers=NORDBRAU)
    ).status_code == 403


async def test_overrides_change_one_machine_and_are_isolated(
    client: httpx.AsyncClient, planned: Pool
) -> None:
    url = "/api/maintenance/overrides/l2-filler/annual-inspection"
    body = {"interval": 180, "reason": "hot hall, twice a year"}
    put = await client.put(url, json=body, headers=SUPPORT)
    assert put.status_code == 200
    assert put.json()["updated_by"] == "demo-support"
    listed = await client.get("/api/maintenance/overrides?line_id=line-2", headers=NORDBRAU)
    assert [o["task_key"] for o in listed.json()] == ["annual-inspection"]
    # Another customer: 404 on the line, the machine and its override.
    assert (
        await client.get("/api/maintenance/overrides?line_id=line-2", headers=ALPENPACK)
    ).status_code == 404
    assert (await client.put(url, json=body, headers=ALPENPACK)).status_code == 404
    assert (await client.delete(url, headers=ALPENPACK)).status_code == 404
    assert (await client.get("/api/maintenance/overrides", headers=ALPENPACK)).json() == []
    # The machine's own customer may read but not change it.
    assert (await client.put(url, json=body, headers=NORDBRAU)).status_code == 403
    # Bad input.
    no_task = "/api/maintenance/overrides/l2-filler/no-such-task"
    assert (await client.put(no_task, json=body, headers=SUPPORT)).status_code == 422
    assert (
        await client.put(url, json={"reason": "neither interval nor disabled"}, headers=SUPPORT)
    ).status_code == 422
    assert (await client.put(url, json={"interval": 10}, headers=SUPPORT)).status_code == 422
    assert (
        await client.put("/api/maintenance/overrides/l2-filler/Bad Key", json=body, headers=SUPPORT)
    ).status_code == 422
    disabled = await client.put(
        url, json={"disabled": True, "reason": "line retires this year"}, headers=SUPPORT
    )
    assert disabled.json()["disabled"] is True
    assert (await client.delete(url, headers=SUPPORT)).status_code == 204
    assert (await client.delete(url, headers=SUPPORT)).status_code == 404


async def test_line_2_shows_its_next_planned_maintenance(
    client: httpx.AsyncClient, planned: Pool, plant: Plant
) -> None:
    # Before the job has run: the filler's inspection is due two days after it came
    # under the plan, projected on the calendar.
    response = await _calendar(client)
    assert response.status_code == 200
    body = response.json()
    due = [e for e in body["entries"] if e["task_key"] == "valve-inspection"]
    assert due[0]["status"] == "due"
    assert due[0]["machine_name"] == "Filler"
    assert due[0]["due_at"] == (T0 + 2 * DAY).isoformat().replace("+00:00", "Z")

    report = await run_maintenance_cycle(planned, plant, now=T0, line=_line(plant, "line-2"))
    assert len(report.opened) == 1
    assert report.announced  # the line stops within three days: production hears at once
    body = (await _calendar(client, headers=NORDBRAU)).json()
    [entry] = [e for e in body["entries"] if e["status"] == "planned"]
    assert entry["task_key"] == "valve-inspection"
    assert entry["ticket_number"] == report.opened[0]
    assert entry["stops_line"] is True
    assert entry["production_notice_at"] is not None
    # The next one follows 90 days after it (beyond the default 90 days ahead).
    wide = await _calendar(client, until=(T0 + 120 * DAY).isoformat())
    later = [e for e in wide.json()["entries"] if e["task_key"] == "valve-inspection"]
    assert [e["status"] for e in later] == ["planned", "due"]


async def test_overdue_done_late_and_skipped_are_visible(
    client: httpx.AsyncClient, app: FastAPI, planned: Pool, plant: Plant
) -> None:
    line = _line(plant, "line-2")
    await run_maintenance_cycle(planned, plant, now=T0, line=line)
    app.state.ticket_clock = lambda: T0 + 3 * DAY
    body = (await _calendar(client)).json()
    [overdue] = [e for e in body["entries"] if e["status"] == "overdue"]
    assert overdue["task_key"] == "valve-inspection"

    # Done late: the ticket is archived on day 4, after the window of day 2.
    async with planned.connection() as conn:
        desk = await find_user_by_token(conn, token="demo-desk")
        assert desk is not None
        moved = await move_ticket(
            conn,
            ticket_id=overdue["ticket_id"],
            target=TicketStatus.ARCHIVED,
            user=desk,
            reason="done with the brewery's own fitters",
            expected_status=None,
            at=T0 + 4 * DAY,
        )
        assert isinstance(moved, Ticket)
    await run_maintenance_cycle(planned, plant, now=T0 + 4 * DAY, line=line)
    app.state.ticket_clock = lambda: T0 + 4 * DAY
    body = (await _calendar(client)).json()
    [done] = [e for e in body["entries"] if e["task_key"] == "valve-inspection" and e["closed_at"]]
    assert done["status"] == "done_late"

    # A running-hour task opened by the job is skipped with a reason.
    override = {"interval": 1, "reason": "test: due at once"}
    await client.put(
        "/api/maintenance/overrides/l2-capper/chuck-check", json=override, headers=SUPPORT
    )
    await _run_hours(planned, "l2-capper")
    report = await run_maintenance_cycle(planned, plant, now=T0 + 4 * DAY, line=line)
    assert len(report.opened) == 1
    body = (await _calendar(client)).json()
    [chuck] = [e for e in body["entries"] if e["task_key"] == "chuck-check" and e["occurrence_id"]]
    skip_url = f"/api/maintenance/tasks/{chuck['occurrence_id']}/skip"
    assert (await client.post(skip_url, json={"reason": " "}, headers=DESK)).status_code == 422
    assert (await client.post(skip_url, json={}, headers=DESK)).status_code == 422
    assert (await client.post(skip_url, json={"reason": "x"}, headers=ALPENPACK)).status_code == 404
    assert (await client.post(skip_url, json={"reason": "x"}, headers=NORDBRAU)).status_code == 403
    skipped = await client.post(skip_url, json={"reason": "capper replaced"}, headers=DESK)
    assert skipped.status_code == 200
    assert skipped.json()["status"] == "skipped"
    again = await client.post(skip_url, json={"reason": "twice"}, headers=DESK)
    assert again.status_code == 409
    body = (await _calendar(client)).json()
    [shown] = [e for e in body["entries"] if e["occurrence_id"] == chuck["occurrence_id"]]
    assert (shown["status"], shown["skip_reason"]) == ("skipped", "capper replaced")
    async with planned.connection() as conn:
        events = await ticket_events(conn, ticket_id=shown["ticket_id"], scope=EVERY_CUSTOMER)
    assert [e.note for e in events if e.kind == "maintenance_skipped"] == ["capper replaced"]
    missing = "/api/maintenance/tasks/999999/skip"
    assert (await client.post(missing, json={"reason": "x"}, headers=DESK)).status_code == 404


async def _run_hours(pool: Pool, machine_id: str) -> None:
    """Two shifts of 8 running hours each, from T0, as the OEE refresh stores them."""
    async with pool.connection() as conn:
        await upsert_oee(
            conn,
            results=[_shift(machine_id, T0 + n * timedelta(hours=8)) for n in range(2)],
        )


def _shift(machine_id: str, start: datetime) -> OeeResult:
    return OeeResult(
        scope=OeeScope.MACHINE,
        subject_id=machine_id,
        shift_name="early",
        shift_start=start,
        shift_end=start + timedelta(hours=8),
        planned_busy_s=28800,
        running_s=28800,
        setup_s=0,
        breakdown_s=0,
        stop_s=0,
        idle_s=0,
        unknown_s=0,
        good_count=1000,
        reject_count=0,
        ideal_output_s=28800,
        availability=1,
        performance=1,
        quality=1,
        oee=1,
    )


async def test_calendar_isolation_and_bad_ranges(client: httpx.AsyncClient, planned: Pool) -> None:
    assert (await _calendar(client, headers=ALPENPACK)).status_code == 404
    assert (await _calendar(client, line_id="line-9")).status_code == 404
    own = await _calendar(client, line_id="line-3", headers=ALPENPACK)
    assert own.status_code == 200
    assert own.json()["entries"] == []  # no plan for their models
    backwards = await _calendar(client, since=T0.isoformat(), until=(T0 - DAY).isoformat())
    assert backwards.status_code == 422
    assert (await _calendar(client, until="not a time")).status_code == 422
    naive = await _calendar(client, since="2026-03-01T00:00:00")
    assert naive.status_code == 422
    assert (await client.get("/api/maintenance/calendar", headers=DESK)).status_code == 422
    assert (await client.get("/api/maintenance/plans")).status_code == 401


async def test_the_maintenance_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/maintenance")
    assert response.status_code == 200
    assert "/static/maintenance.js" in response.text
    script = await client.get("/static/maintenance.js")
    assert script.status_code == 200
    assert "/maintenance/calendar" in script.text
