"""The demo's worked ticket goes from the warning to the archive through the real API,
and the service KPIs count it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from launcher.demo_story import DemoStory, StoryPace
from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU
from tests.api.factories import T0, insert_ticket

pytestmark = pytest.mark.integration

_QUICK = StoryPace(step_s=0.0, poll_s=0.05, breakdown_wait_s=0.0)


@pytest.fixture
def fixed_clock(app: FastAPI) -> None:
    app.state.ticket_clock = lambda: T0 + timedelta(hours=1)


async def test_the_story_works_the_warning_ticket_to_the_archive(
    fixed_clock: None, app: FastAPI, seeded_pool: Pool, api_url: str, client: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        ticket_id = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )

    await DemoStory(api_url, pace=_QUICK).tell()

    ticket = (await client.get(f"/api/tickets/{ticket_id}", headers=DESK)).json()
    assert ticket["status"] == "archived"
    moves = [e["new_value"] for e in ticket["events"] if e["field"] == "status"]
    assert moves == [
        "classified",
        "remote_diagnosis",
        "dispatched",
        "en_route",
        "on_site",
        "repaired",
        "verified",
        "signed_off",
        "survey",
        "reviewed",
        "archived",
    ]
    actors = {e["new_value"]: e["actor"] for e in ticket["events"] if e["field"] == "status"}
    assert actors["remote_diagnosis"] == "demo-support"
    assert actors["on_site"].startswith("demo-field-")
    assert actors["signed_off"] == "demo-nordbrau"

    report = (await client.get(f"/api/tickets/{ticket_id}/report", headers=NORDBRAU)).json()
    assert report["report"]["parts"], "the engineer books the part replaced"
    survey = (await client.get(f"/api/tickets/{ticket_id}/survey", headers=NORDBRAU)).json()
    assert survey["survey"]["overall"] == 5
    assert survey["callbacks"][0]["problem_gone"] is True

    app.state.ticket_clock = lambda: T0 + timedelta(hours=2)  # the KPIs a while later
    kpis = (
        await client.get(
            "/api/kpis/service",
            params={"group_by": "month", "from": "2026-03-01", "to": "2026-03-31"},
            headers=DESK,
        )
    ).json()
    assert kpis["total"]["satisfaction"] == 5
    assert kpis["total"]["first_time_fix"]["hits"] == 1


async def test_the_story_leaves_a_ticket_someone_already_works(
    fixed_clock: None, seeded_pool: Pool, api_url: str, client: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        ticket_id = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            status="classified",
        )

    await DemoStory(api_url, pace=_QUICK).tell()

    ticket = (await client.get(f"/api/tickets/{ticket_id}", headers=DESK)).json()
    assert ticket["status"] == "classified"
