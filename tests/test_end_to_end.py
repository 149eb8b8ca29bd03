"""The whole pipeline on real services: a degrading bearing becomes a service ticket.

Simulator (real asyncua server + MQTT publisher) → collectors → TimescaleDB →
analytics → alert rule → ticket, read back through the REST API. The bearing
timeline is compressed so the test takes well under a minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from launcher import processes
from models.plant import Plant
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from settings.linecare_settings import Settings
from simulator.scenarios import BearingWear, Scenario
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.timescale_features import Edition
from storage.user_store import seed_demo_users

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"
SPEED = 600.0
# Wear starts once the condition model (120 observations, an hour of running) is
# learnt, and the breakdown is far enough out that the warning must come before it.
SCENARIO = Scenario(
    bearing_wear=BearingWear(
        machine_id="l1-filler",
        onset=timedelta(hours=1, minutes=30),
        breakdown_at=timedelta(hours=6),
    )
)


@pytest.fixture
def pipeline_settings(mqtt_broker: BrokerSpec, tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path,
        mqtt_port=mqtt_broker.port,
        manage_services=False,
        simulation_speed=SPEED,
        simulation_tick_s=0.05,
        analytics_interval_s=0.5,
        opcua_endpoint_map={PLANT_ENDPOINT: f"opc.tcp://127.0.0.1:{free_port()}/linecare/"},
        # The simulated plant runs ahead of the wall clock, from a date in the past.
        sample_max_age_s=None,
        sample_max_lead_s=None,
        # A clean session: nothing queued on the shared broker for earlier tests.
        mqtt_client_id="end-to-end-test",
        mqtt_persistent_session=False,
        collector_metrics_port=0,
        collector_spool_dir=tmp_path / "spool",
    )


@pytest.fixture
async def running_pipeline(
    db_pool: Pool, plant: Plant, pipeline_settings: Settings
) -> AsyncIterator[datetime]:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
    start = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    simulator_ready = asyncio.Event()
    tasks = [
        asyncio.create_task(
            processes.simulate(
                pipeline_settings, plant, start=start, scenario=SCENARIO, ready=simulator_ready
            )
        ),
        asyncio.create_task(processes.collect(pipeline_settings, plant, db_pool)),
        asyncio.create_task(processes.analyze(pipeline_settings, plant, db_pool, Edition.APACHE)),
    ]
    await asyncio.wait_for(simulator_ready.wait(), 30)
    yield start
    for task in reversed(tasks):
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _first_warning_ticket(client: httpx.AsyncClient, timeout_s: float) -> dict[str, object]:
    """The first ticket an early warning opened (the maintenance plans open their own)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get("/api/tickets")
        assert response.status_code == 200, response.text
        tickets = [t for t in response.json() if t["channel"] == "automatic_warning"]
        if tickets:
            detail = await client.get(f"/api/tickets/{tickets[0]['id']}")
            assert detail.status_code == 200, detail.text
            body: dict[str, object] = detail.json()
            return body
        await asyncio.sleep(1)
    raise AssertionError(f"no ticket within {timeout_s} s")


async def test_degrading_bearing_opens_a_ticket_naming_machine_and_signals(
    running_pipeline: datetime, db_pool: Pool, plant: Plant, pipeline_settings: Settings
) -> None:
    start = running_pipeline
    app = create_app(pipeline_settings, plant, pool=db_pool)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer demo-desk"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://linecare", headers=headers
    ) as client:
        ticket = await _first_warning_ticket(client, timeout_s=120)
        lines = (await client.get("/api/lines")).json()

    assert ticket["machine_id"] == "l1-filler"
    assert "vibration_rms" in ticket["signals"]  # type: ignore[operator]
    assert ticket["channel"] == "automatic_warning"
    assert ticket["customer_id"] == "nordbrau"
    received = datetime.fromisoformat(str(ticket["received_at"]))
    # The warning comes after wear began and before the bearing breaks down.
    assert start + timedelta(minutes=40) < received < start + timedelta(hours=5)
    # Data from both transports reached the database and the API.
    machines = {m["id"] for line in lines for m in line["machines"] if m["state"] is not None}
    assert {"l1-filler", "l2-capper", "l3-packer"} <= machines

    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM tickets"
            " WHERE machine_id <> 'l1-filler' AND channel = 'automatic_warning'"
        )
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == 0, "healthy machines must not raise tickets"
