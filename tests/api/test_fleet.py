"""The fleet overview: lines ordered by what needs attention, SLA risks, offline machines."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.fleet_overview import line_attention, worst_severity
from models.plant import Plant, Severity
from storage.connections import Pool
from storage.machine_status_store import mark_offline, record_seen
from tests.api.conftest import DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_alert, insert_samples, insert_ticket

NOW = T0 + timedelta(hours=3)


def test_the_worst_reason_leads_and_every_reason_is_listed() -> None:
    attention, reasons = line_attention(
        sla_breached=1,
        sla_at_risk=2,
        open_alerts=3,
        worst_alert=Severity.MAJOR,
        machines_offline=1,
    )
    assert attention == "sla_breached"
    assert reasons == [
        "1 ticket past an SLA deadline",
        "2 tickets near an SLA deadline",
        "3 open alerts (major at worst)",
        "1 machine offline",
    ]
    assert line_attention(
        sla_breached=0, sla_at_risk=0, open_alerts=0, worst_alert=None, machines_offline=2
    ) == ("offline", ["2 machines offline"])
    assert line_attention(
        sla_breached=0, sla_at_risk=0, open_alerts=0, worst_alert=None, machines_offline=0
    ) == ("ok", [])


def test_grades_rank_as_the_domain_ranks_them() -> None:
    assert worst_severity([Severity.GENERAL, None, Severity.MAJOR, Severity.SERIOUS]) is (
        Severity.MAJOR
    )
    assert worst_severity([None]) is None


@pytest.fixture
def fleet_app(app: FastAPI) -> FastAPI:
    app.state.ticket_clock = lambda: NOW
    return app


async def test_lines_come_worst_first_with_their_sla_risks_and_alerts(
    fleet_app: FastAPI, client: httpx.AsyncClient, seeded_pool: Pool, plant: Plant
) -> None:
    async with seeded_pool.connection() as conn:
        # line-1: a ticket whose one-hour response was promised two hours ago.
        overdue = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            received_at=NOW - timedelta(hours=2),
        )
        # line-3: an open alert and nothing else.
        await insert_alert(conn, machine_id="l3-packer", severity="major")
        await insert_alert(conn, machine_id="l3-packer", severity="general", rule="other")
        # line-2: its machines reporting and running, nothing open.
        line_2_machines = [
            m.id for _, _, line in plant.lines() if line.id == "line-2" for m in line.machines
        ]
        for machine in line_2_machines:
            await insert_samples(conn, machine_id=machine, signal="state", samples=[(NOW, 6.0)])
        await record_seen(conn, seen={m: (NOW, NOW) for m in line_2_machines})

    response = await client.get("/api/fleet", headers=SUPPORT)

    assert response.status_code == 200, response.text
    fleet = response.json()
    order = [line["id"] for line in fleet["lines"]]
    assert order[:2] == ["line-1", "line-3"]
    first, alerting = fleet["lines"][0], fleet["lines"][1]
    assert first["attention"] == "sla_breached"
    assert first["sla_breached"] == 1
    assert first["next_deadline"]["ticket_id"] == overdue
    assert first["next_deadline"]["kind"] == "response"
    assert first["next_deadline"]["seconds_left"] == -3600
    assert alerting["attention"] == "alert"
    assert alerting["reasons"] == [
        "2 open alerts (major at worst)",
        f"{len(alerting['machines'])} machines not reporting yet",
    ]
    packer = next(m for m in alerting["machines"] if m["id"] == "l3-packer")
    assert (packer["open_alerts"], packer["worst_alert"]) == (2, "major")
    line_2 = next(line for line in fleet["lines"] if line["id"] == "line-2")
    assert line_2["attention"] == "ok"
    assert line_2["machines_running"] == len(line_2["machines"])
    assert fleet["totals"]["lines"] == len(list(plant.lines()))
    assert fleet["totals"]["open_alerts"] == 2
    assert fleet["totals"]["sla_breached"] == 1
    # Only line-2's machines ever reported: the others are not counted online.
    assert fleet["totals"]["machines_online"] == len(line_2["machines"])


async def test_a_ticket_past_80_percent_of_its_response_time_is_at_risk(
    fleet_app: FastAPI, client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-2",
            machine_id="l2-filler",
            received_at=NOW - timedelta(minutes=50),
        )

    fleet = (await client.get("/api/fleet", headers=DESK)).json()

    line_2 = fleet["lines"][0]
    assert (line_2["id"], line_2["attention"], line_2["sla_at_risk"]) == (
        "line-2",
        "sla_at_risk",
        1,
    )
    assert line_2["next_deadline"]["seconds_left"] == 600


async def test_an_offline_machine_is_named_as_such(
    fleet_app: FastAPI, client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await record_seen(conn, seen={"l2-capper": (NOW - timedelta(hours=1),) * 2})
        await mark_offline(
            conn,
            machine_ids=["l2-capper"],
            silent_since=NOW - timedelta(minutes=30),
            now=NOW,
        )

    fleet = (await client.get("/api/fleet", headers=SUPPORT)).json()

    line_2 = next(line for line in fleet["lines"] if line["id"] == "line-2")
    capper = next(m for m in line_2["machines"] if m["id"] == "l2-capper")
    assert capper["connection"] == "offline"
    assert capper["offline_since"] is not None
    assert line_2["attention"] == "offline"
    assert fleet["totals"]["machines_offline"] == 1


async def test_machines_never_heard_from_are_not_counted_online(
    fleet_app: FastAPI, client: httpx.AsyncClient
) -> None:
    fleet = (await client.get("/api/fleet", headers=SUPPORT)).json()

    assert fleet["totals"]["machines_online"] == 0
    first = fleet["lines"][0]
    assert first["attention"] == "offline"
    assert first["machines_silent"] == len(first["machines"])
    assert first["reasons"] == [f"{len(first['machines'])} machines not reporting yet"]


async def test_customers_are_refused_the_fleet(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    response = await client.get("/api/fleet", headers=NORDBRAU)
    assert response.status_code == 403
    assert "alpenpack" not in response.text.lower()


async def test_the_fleet_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/fleet")
    assert response.status_code == 200
    assert "/static/fleet.js" in response.text
