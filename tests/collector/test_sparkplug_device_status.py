"""Sparkplug B deaths in the machine status, through a real broker and database:
a matching NDEATH takes the machines offline at once, a mismatching one is counted and
judged by its session, and a metric no signal maps is dead-lettered once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from collector.collector_metrics import collector_registry
from collector.mqtt_connection import MqttConnection
from collector.mqtt_subscriber import MqttSubscriber
from collector.mqtt_topic_map import mqtt_routes
from collector.source_liveness import SourceLiveness
from collector.source_status import SourceStatusBoard
from collector.telemetry_sink import TelemetrySink
from models.machine_status import MachineStatus, OfflineReason
from models.plant import STANDARD_SIGNALS, Plant, SignalKind, SignalSpec
from services.mosquitto_broker import BrokerSpec
from simulator.sparkplug_payload import EdgeNodeMessages
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.machine_status_store import list_machine_status
from tests.collector.conftest import (
    count_rows,
    plant_with_line_3_source,
    publish_messages,
    wait_for_rows,
)

pytestmark = pytest.mark.integration

PACKER = "l3-packer"
SPARKPLUG_LINE = {
    "protocol": "mqtt",
    "payload_format": "sparkplug_b",
    "sparkplug": {
        "group_id": "alpenpack",
        "edge_node_id": "line-3",
        "devices": {"packer-plc": PACKER},
        "metric_signals": {"Speed": "speed"},
    },
}
PACKER_ROWS = f"SELECT count(*) FROM telemetry WHERE machine_id = '{PACKER}' AND signal <> 'online'"
BDSEQ_MISMATCHES = "linecare_collector_sparkplug_ndeath_bdseq_mismatches_total"


def _edge(bd_seq: int, *, extra_metric: bool = False) -> EdgeNodeMessages:
    signals = list(STANDARD_SIGNALS)
    if extra_metric:
        signals.append(SignalSpec(name="oil_level", kind=SignalKind.PROCESS))
    return EdgeNodeMessages.for_machines(
        "alpenpack",
        "line-3",
        {PACKER: ("packer-plc", signals)},
        metric_names={"speed": "Speed"},
        bd_seq=bd_seq,
    )


@dataclass
class Host:
    """A collector hosting the Sparkplug line, with its liveness and status board."""

    broker: BrokerSpec
    pool: Pool
    liveness: SourceLiveness
    status: SourceStatusBoard

    async def send(self, edge: EdgeNodeMessages, kind: str, payload: bytes) -> None:
        machine = PACKER if kind.startswith("D") else None
        messages = [(edge.topic(kind, machine), payload)]
        await asyncio.to_thread(publish_messages, self.broker.port, messages)

    async def born(self, edge: EdgeNodeMessages) -> None:
        stored = await count_rows(self.pool, PACKER_ROWS)
        now = datetime.now(UTC)
        await self.send(edge, "NBIRTH", edge.node_birth(now))
        await self.send(edge, "DBIRTH", edge.device_birth(PACKER, now, {"state": 6}))
        assert await wait_for_rows(self.pool, PACKER_ROWS, stored + 1) > stored

    async def status_of_packer(self) -> MachineStatus:
        await self.liveness.record(self.pool)
        async with self.pool.connection() as conn:
            (status,) = await list_machine_status(conn, machine_ids=[PACKER], scope=EVERY_CUSTOMER)
        return status

    def mismatches(self) -> float | None:
        registry = collector_registry(TelemetrySink(self.pool), status=self.status)
        return registry.get_sample_value(BDSEQ_MISMATCHES, {"subject": "alpenpack/line-3"})


@pytest.fixture
async def host(db_pool: Pool, plant: Plant, mqtt_broker: BrokerSpec) -> AsyncIterator[Host]:
    sparkplug_plant = plant_with_line_3_source(plant, SPARKPLUG_LINE)
    async with db_pool.connection() as conn:
        await sync_assets(conn, sparkplug_plant)
    liveness = SourceLiveness([PACKER], offline_after_s=60)
    status = SourceStatusBoard(liveness)
    sink = TelemetrySink(db_pool, flush_interval_s=0.05, liveness=liveness)
    connection = MqttConnection(
        host="127.0.0.1",
        port=mqtt_broker.port,
        client_id=f"spb-status-{uuid.uuid4().hex[:8]}",
        persistent_session=False,
    )
    subscriber = MqttSubscriber(mqtt_routes(sparkplug_plant), sink, connection, status=status)
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        await asyncio.wait_for(subscriber.subscribed.wait(), 10)
        yield Host(mqtt_broker, db_pool, liveness, status)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _until_offline(host: Host) -> MachineStatus:
    for _ in range(100):
        status = await host.status_of_packer()
        if not status.online:
            return status
        await asyncio.sleep(0.05)
    return status


async def test_a_matching_ndeath_takes_the_machine_offline_at_once(host: Host) -> None:
    edge = _edge(bd_seq=4)
    await host.born(edge)
    assert (await host.status_of_packer()).online

    died_at = datetime.now(UTC)
    await host.send(edge, "NDEATH", edge.node_death())
    status = await _until_offline(host)

    assert (status.online, status.reason) == (False, OfflineReason.NODE_DEATH)
    assert status.detail == "Sparkplug NDEATH of alpenpack/line-3"
    # At once: seconds, not the 60 s silence timeout.
    assert (status.since - died_at).total_seconds() < 5
    assert host.mismatches() is None


async def test_an_ndeath_with_a_foreign_bdseq_is_counted_and_judged_by_its_session(
    host: Host,
) -> None:
    await host.born(_edge(bd_seq=4))
    # A clean disconnect sent with the next bdSeq: the current session's death.
    await host.send(_edge(bd_seq=4), "NDEATH", _edge(bd_seq=5).node_death())
    status = await _until_offline(host)
    assert (status.online, status.reason) == (False, OfflineReason.NODE_DEATH)
    assert host.mismatches() == 1

    # The node is back (bdSeq 6); the late will of session 5 does not take it down.
    await host.born(_edge(bd_seq=6))
    assert (await host.status_of_packer()).online
    await host.send(_edge(bd_seq=6), "NDEATH", _edge(bd_seq=5).node_death())
    for _ in range(20):
        if host.mismatches() == 2:
            break
        await asyncio.sleep(0.05)
    assert host.mismatches() == 2
    assert (await host.status_of_packer()).online


async def test_a_metric_no_signal_maps_is_dead_lettered_once(host: Host, db_pool: Pool) -> None:
    edge = _edge(bd_seq=1, extra_metric=True)
    await host.born(edge)
    await host.born(edge)  # a rebirth declares it again

    letters = "SELECT count(*) FROM dead_letters WHERE reason LIKE '%''oil_level''%'"
    assert await wait_for_rows(db_pool, letters, 1) == 1
    await asyncio.sleep(0.3)
    assert await count_rows(db_pool, letters) == 1
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT reason FROM dead_letters")
        (reason,) = [row[0] for row in await cursor.fetchall() if "oil_level" in row[0]]
    assert "does not list" in reason and PACKER in reason
