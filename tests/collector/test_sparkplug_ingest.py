"""A Sparkplug B edge node → Mosquitto → collector → TimescaleDB, all real.

The simulated edge node publishes births, data and its death; the collector
asks it for a rebirth when it joins late or sees a gap in ``seq``. A restarted
collector remembers the births it saw; collectors can split the edge nodes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.mqtt_connection import MqttConnection
from collector.sparkplug_birth_store import SparkplugBirthStore
from collector.sparkplug_partition import SparkplugPartition, partition_of
from models.plant import Plant
from models.readings import Reading
from services.mosquitto_broker import BrokerSpec
from simulator.plant_simulation import SimulationTick
from simulator.sparkplug_publisher import (
    SparkplugEdgeNodePublisher,
    SparkplugTickPublisher,
    sparkplug_edge_nodes,
)
from storage.connections import Pool
from tests.collector.conftest import StartCollector, plant_with_line_3_source, wait_for_rows
from tests.collector.test_mqtt_topic_map import two_sparkplug_lines

pytestmark = pytest.mark.integration


def _sparkplug_line(edge_node_id: str = "line-3") -> dict[str, object]:
    return {
        "protocol": "mqtt",
        "payload_format": "sparkplug_b",
        "sparkplug": {
            "group_id": "alpenpack",
            "edge_node_id": edge_node_id,
            "devices": {"packer-plc": "l3-packer"},
            "metric_signals": {"Speed": "speed"},
        },
    }


SPARKPLUG_LINE = _sparkplug_line()
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


async def test_a_restarted_collector_decodes_data_queued_after_the_births_it_saw(
    start_collector: StartCollector,
    plant: Plant,
    db_pool: Pool,
    mqtt_broker: BrokerSpec,
    tmp_path: Path,
) -> None:
    # An edge node of its own: no other test's late death message can reach it.
    node_plant = plant_with_line_3_source(plant, _sparkplug_line(f"line-3-{uuid.uuid4().hex[:8]}"))
    # One client id throughout: the broker keeps its session, and queues for it.
    connection = _connection(mqtt_broker)
    births = tmp_path / "sparkplug"
    now = datetime.now(UTC).replace(microsecond=0)
    first = await start_collector(
        node_plant, connection, sparkplug_births=SparkplugBirthStore(births)
    )
    async with _edge(node_plant, mqtt_broker) as edge:
        edge.publish(SimulationTick(now, (), ()))  # births, no data
        # NBIRTH and three DBIRTHs stored and acknowledged: the broker will not resend them.
        await _until(lambda: first.subscriber.counters.acknowledged == 4)
        await first.stop()

        edge.publish(_tick(now + timedelta(seconds=1), 100.0))
        await edge.delivered()
        second = await start_collector(
            node_plant, connection, sparkplug_births=SparkplugBirthStore(births)
        )
        samples = "SELECT count(*) FROM telemetry WHERE signal <> 'online'"
        assert await wait_for_rows(db_pool, samples, 4) == 4
        assert second.subscriber.counters.rebirths_requested == 0
    assert await _rows(db_pool, "SELECT count(*) FROM dead_letters") == [(0,)]
    speeds = await _rows(
        db_pool, "SELECT machine_id, value FROM telemetry WHERE signal = 'speed' ORDER BY 1"
    )
    assert speeds == [(machine, 100.0) for machine in MACHINES]
    assert edge.rebirths_requested == 0


async def test_two_collectors_split_the_edge_nodes_between_them(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    two_nodes = two_sparkplug_lines(plant)
    assert sorted(partition_of("linecare", line, 2) for line in ("line-1", "line-3")) == [0, 1]
    collectors = [
        await start_collector(
            two_nodes, _connection(mqtt_broker), sparkplug_partition=SparkplugPartition(index, 2)
        )
        for index in (0, 1)
    ]
    nodes = sparkplug_edge_nodes(two_nodes)
    machines = [machine for node in nodes for machine in node.devices]
    now = datetime.now(UTC).replace(microsecond=0)
    async with SparkplugTickPublisher(nodes, host="127.0.0.1", port=mqtt_broker.port) as edges:
        edges.publish(SimulationTick(now, (), ()))  # births, no data
        for second in (1, 2):
            at = now + timedelta(seconds=second)
            edges.publish(
                SimulationTick(at, (), tuple(Reading(at, m, "speed", 90.0) for m in machines))
            )
        speeds = "SELECT count(*) FROM telemetry WHERE signal = 'speed'"
        assert await wait_for_rows(db_pool, speeds, 12) == 12
        # Each collector had its own node's messages alone, and stored each reading
        # once: NBIRTH, 3 DBIRTHs (3 machines online) and 2 x 3 DDATA (one speed each).
        await _until(lambda: all(c.sink.counters.written == 9 for c in collectors))
        for collector in collectors:
            counters = collector.subscriber.counters
            assert counters.messages == 10
            assert counters.dead_lettered == counters.rebirths_requested == 0
            assert collector.sink.counters.duplicates == 0
    per_machine = await _rows(
        db_pool,
        "SELECT machine_id, count(*) FROM telemetry WHERE signal = 'speed' GROUP BY 1 ORDER BY 1",
    )
    assert per_machine == [(machine, 2) for machine in sorted(machines)]
    assert await _rows(db_pool, "SELECT count(*) FROM dead_letters") == [(0,)]
