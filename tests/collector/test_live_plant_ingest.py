"""Both transports at once: the simulated plant's OPC UA and MQTT lines land in TimescaleDB."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collector.mqtt_connection import MqttConnection
from collector.opcua_security import OpcUaCredentials
from collector.payload_parsing import UNBOUNDED
from collector.run_collectors import build_collectors
from collector.telemetry_sink import TelemetrySink
from models.plant import Plant
from models.states import PackMLState
from storage.asset_registry import sync_assets
from storage.connections import Pool
from tests.fixtures.fix_plant import SimulatedPlant

pytestmark = pytest.mark.integration


async def _machines_with_data(pool: Pool) -> set[str]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT DISTINCT machine_id FROM telemetry")
        return {row[0] for row in await cursor.fetchall()}


async def test_every_machine_of_the_plant_is_collected(
    simulated_plant: SimulatedPlant, db_pool: Pool, plant: Plant, tmp_path: Path
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    sink = TelemetrySink(db_pool, batch_size=500, flush_interval_s=0.1)
    collectors = build_collectors(
        plant,
        sink,
        # A clean session: this test must not inherit messages queued for another.
        mqtt=MqttConnection(
            host="127.0.0.1",
            port=simulated_plant.mqtt_port,
            client_id="live-plant-test",
            persistent_session=False,
        ),
        opcua_credentials=lambda _: OpcUaCredentials(certificate_dir=tmp_path),
        opcua_endpoints=simulated_plant.opcua_endpoints,
        # The simulated plant's clock started in March 2026.
        sample_bounds=UNBOUNDED,
    )
    task = asyncio.create_task(collectors.run())
    try:
        await collectors.wait_connected()
        expected = {p.machine.id for p in plant.placements()}
        for _ in range(100):
            if await _machines_with_data(db_pool) == expected:
                break
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert await _machines_with_data(db_pool) == expected
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT DISTINCT value FROM telemetry WHERE signal = 'state'")
        states = {int(row[0]) for row in await cursor.fetchall()}
        cursor = await conn.execute("SELECT min(time) FROM telemetry")
        row = await cursor.fetchone()
    assert states <= {int(s) for s in PackMLState}
    # Source timestamps are the simulated plant's, not the collector's clock.
    assert row is not None
    assert row[0] >= simulated_plant.start
    assert sink.counters.dead_lettered == 0
