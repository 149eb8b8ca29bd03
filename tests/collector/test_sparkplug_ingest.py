"""A Sparkplug B edge node → Mosquitto → collector → TimescaleDB, all real.

The simulated edge node publishes births, data and its death; the collector
asks it for a rebirth when it joins late or sees a gap in ``seq``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from collector.mqtt_connection import MqttConnection
from models.plant import Plant
from models.readings import Reading
from services.mosquitto_broker import BrokerSpec
from simulator.plant_simulation import SimulationTick
from simulator.sparkplug_publisher import SparkplugEdgeNodePublisher, sparkplug_edge_nodes
from storage.connections import Pool
from tests.collector.conftest import StartCollector, plant_with_line_3_source, wait_for_rows

pytestmark = pytest.mark.integration

SPARKPLUG_LINE = {
    "protocol": "mqtt",
    "payload_format": "sparkplug_b",
    "sparkplug": {
        "group_id": "alpenpack",
        "edge_node_id": "line-3",
        "devices": {"packer-plc": "l3-packer"},
        "metric_signals": {"Speed": "speed"},
    },
}
MACHINES = ("l3-erector", "l3-packer", "l3-sealer")


@pytest.fixture
def sparkplug_plant(plant: Plant) -> Plant:
    return plant_with_line_3_source(plant, SPARKPLUG_LINE)


def _connection(broker: BrokerSpec) -> MqttConnection:
    return MqttConnection(
        host="127.0.0.1", port=broker.port, client_id=f"spb-{uuid.uuid4().hex[:8]}"
    )


def _edge(plant: Plant, broker: BrokerSpec) -> SparkplugEdgeNodePublisher:
    (node,) = sparkplug_edge_nodes(plant)
    return SparkplugEdgeNodePublisher(node, host="127.0.0.1", port=broker.port)


def _tick(at: datetime, speed: float) -> SimulationTick:
    samples = tuple(Reading(at, machine, "speed", speed) for machine in MACHINES)
    return SimulationTick(at, (Reading(at, "l3-packer", "state", 6.0),), samples)


async def _rows(pool: Pool, query: str) -> list[tuple[object, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode())
        return list(await cursor.fetchall())


async def test_births_data_and_death_reach_the_database(
    start_collector: StartCollector, sparkplug_plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    collector = await start_collector(sparkplug_plant, _connection(mqtt_broker))
    async with _edge(sparkplug_plant, mqtt_broker) as edge:
        edge.publish(_tick(now, 100.0))
        edge.publish(_tick(now + timedelta(seconds=1), 101.5))
        # Births: 3 machines x (speed, state on the packer, online); data: 2 ticks x 4 samples.
        assert await wait_for_rows(db_pool, "SELECT count(*) FROM telemetry", 11) == 11
    # Leaving, the node publishes its NDEATH: every machine goes offline.
    online = "SELECT count(*) FROM telemetry WHERE signal = 'online'"
    assert await wait_for_rows(db_pool, online, 6) == 6

    speeds = await _rows(
        db_pool,
        "SELECT time, value FROM telemetry"
        " WHERE machine_id = 'l3-packer' AND signal = 'speed' ORDER BY time",
    )
    assert speeds == [(now, 100.0), (now + timedelta(seconds=1), 101.5)]
    presence = await _rows(
        db_pool,
        "SELECT machine_id, value FROM telemetry WHERE signal = 'online' ORDER BY time, machine_id",
    )
    assert presence == [(m, 1.0) for m in MACHINES] + [(m, 0.0) for m in MACHINES]
    assert await _rows(db_pool, "SELECT count(*) FROM dead_letters") == [(0,)]
    assert collector.subscriber.counters.rebirths_requested == 0


async def test_a_late_collector_and_a_seq_gap_ask_the_node_to_rebirth(
    start_collector: StartCollector, sparkplug_plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with _edge(sparkplug_plant, mqtt_broker) as edge:
        edge.publish(_tick(now, 100.0))  # born before the collector listens
        await edge.delivered()
        collector = await start_collector(sparkplug_plant, _connection(mqtt_broker))
        edge.publish(_tick(now + timedelta(seconds=1), 101.0))
        # The data cannot be decoded without the births: dead-lettered, rebirth asked.
        # Counted by topic: a death message of the previous test's node may still
        # reach this collector through the shared broker.
        undecodable = "SELECT count(*) FROM dead_letters WHERE origin LIKE '%/DDATA/%'"
        assert await wait_for_rows(db_pool, undecodable, 3) == 3
        await _until(lambda: edge.rebirths_requested == 1)
        edge.publish(_tick(now + timedelta(seconds=2), 102.0))
        stored = "SELECT count(*) FROM telemetry WHERE signal = 'speed'"
        assert await wait_for_rows(db_pool, stored, 3) == 3

        # Two messages lost on the way: the next one still counts, and a rebirth is asked.
        edge._node._seq += 2
        edge.publish(_tick(now + timedelta(seconds=3), 103.0))
        assert await wait_for_rows(db_pool, stored, 6) == 6
        await _until(lambda: edge.rebirths_requested == 2)
    reasons = await _rows(db_pool, "SELECT DISTINCT reason FROM dead_letters")
    assert reasons == [("DDATA before its node's NBIRTH: metrics unknown, rebirth requested",)]
    assert collector.subscriber.counters.rebirths_requested == 2


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
