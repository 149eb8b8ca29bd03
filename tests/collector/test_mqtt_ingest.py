"""MQTT JSON → collector → TimescaleDB, against a real Mosquitto and a real database.

At least once: a message is acknowledged only when its samples are stored, so
the broker redelivers what a failed write left unacknowledged, and queues what
arrives while the collector is away.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from psycopg_pool import AsyncConnectionPool

from collector.mqtt_connection import MqttConnection
from models.plant import Plant
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from storage.connections import Pool
from tests.collector.conftest import (
    StartCollector,
    count_rows,
    plant_with_line_3_source,
    publish_messages,
    wait_for_rows,
)

pytestmark = pytest.mark.integration

TOPIC = "linecare/alpenpack-bern/line-3/l3-packer"
AT = datetime(2026, 11, 21, 6, tzinfo=UTC)
TELEMETRY = "SELECT count(*) FROM telemetry"
DEAD_LETTERS = "SELECT count(*) FROM dead_letters"


def _connection(
    broker: BrokerSpec, *, protocol: Literal["5", "3.1.1"] = "5", persistent_session: bool = True
) -> MqttConnection:
    return MqttConnection(
        host="127.0.0.1",
        port=broker.port,
        client_id=f"collector-{uuid.uuid4().hex[:8]}",
        protocol=protocol,
        persistent_session=persistent_session,
    )


def _document(second: int) -> bytes:
    ts = (AT + timedelta(seconds=second)).isoformat()
    return json.dumps({"ts": ts, "values": {"state": 6, "good_count": second}}).encode()


async def test_machine_documents_and_bad_payloads_all_land(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    collector = await start_collector(plant, _connection(mqtt_broker), clock=lambda: AT)
    good = [(TOPIC, _document(i)) for i in range(30)]
    bad = [
        (TOPIC, b"{broken"),
        ("linecare/alpenpack-bern/line-3/unknown", b"{}"),
        (TOPIC, b" " * 300_000),
        (TOPIC, json.dumps({"ts": "2026-11-22T06:00:00Z", "values": {"state": 6}}).encode()),
    ]
    await asyncio.to_thread(publish_messages, mqtt_broker.port, good + bad + good[:5])

    stored = await wait_for_rows(db_pool, TELEMETRY, 60)
    letters = await wait_for_rows(db_pool, DEAD_LETTERS, 4)
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT reason, length(payload) FROM dead_letters ORDER BY id")
        rows = await cursor.fetchall()

    # 30 messages x 2 signals; the 5 repeated messages must not double any sample.
    assert (stored, letters) == (60, 4)
    await _until(lambda: collector.sink.counters.duplicates == 10)
    # The sink writes batches side by side: letters are stored in no fixed order.
    reasons = dict(sorted((reason.split(":")[0], size) for reason, size in rows))
    assert reasons == {
        "malformed JSON": 7,
        "no machine is mapped to topic 'linecare/alpenpack-bern/line-3/unknown'": 2,
        # The raw payload is kept, truncated.
        "payload of 300000 bytes exceeds 262144": 4096,
        "timestamp 2026-11-22T06": 54,
    }
    await _until(lambda: collector.subscriber.counters.acknowledged == 39)


async def test_signal_topics_take_bare_values_and_sample_objects(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    signal_plant = plant_with_line_3_source(
        plant, {"protocol": "mqtt", "topic_template": "plant/{line}/{machine}/{signal}"}
    )
    await start_collector(signal_plant, _connection(mqtt_broker), clock=lambda: AT)
    speed = "plant/line-3/l3-packer/speed"
    await asyncio.to_thread(
        publish_messages,
        mqtt_broker.port,
        [
            (speed, b"118.5"),
            ("plant/line-3/l3-packer/state", b'{"v": 6, "ts": "2026-11-21T05:59:00Z"}'),
            (
                "plant/line-3/l3-sealer/good_count",
                b'[{"v": 1, "ts": 1795240800000}, {"v": 2, "ts": 1795240801000}]',
            ),
            (speed, b'"fast"'),
            (speed, b"NaN"),
            (speed, b"[1, 2]"),
            ("plant/line-3/l3-packer/torque", b"1"),
        ],
    )

    assert await wait_for_rows(db_pool, TELEMETRY, 4) == 4
    assert await wait_for_rows(db_pool, DEAD_LETTERS, 4) == 4
    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT machine_id, signal, value, time FROM telemetry ORDER BY time, machine_id"
        )
        rows = await cursor.fetchall()
        cursor = await conn.execute("SELECT reason FROM dead_letters ORDER BY id")
        reasons = [row[0] for row in await cursor.fetchall()]
    assert rows == [
        ("l3-packer", "state", 6.0, AT - timedelta(minutes=1)),
        # A bare value takes the time the message arrived.
        ("l3-packer", "speed", 118.5, AT),
        ("l3-sealer", "good_count", 1.0, AT),
        ("l3-sealer", "good_count", 2.0, AT + timedelta(seconds=1)),
    ]
    assert sorted(reason.split(" ")[-1] for reason in reasons) == [
        "'plant/line-3/l3-packer/torque'",
        "'ts'",
        "finite",
        "str",
    ]


async def test_a_message_is_acknowledged_only_once_stored(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    connection = _connection(mqtt_broker)
    # A database nobody listens on: every write fails, nothing may be acknowledged.
    unreachable: Pool = AsyncConnectionPool(
        f"host=127.0.0.1 port={free_port()} user=postgres connect_timeout=1",
        min_size=1,
        open=False,
        timeout=0.5,
        reconnect_timeout=0,
    )
    await unreachable.open(wait=False)
    try:
        failing = await start_collector(
            plant, connection, pool=unreachable, write_timeout_s=0.5, clock=lambda: AT
        )
        await asyncio.to_thread(
            publish_messages, mqtt_broker.port, [(TOPIC, _document(i)) for i in range(3)]
        )
        await _until(lambda: failing.sink.counters.failed_writes > 0)
        assert failing.subscriber.counters.messages == 3
        assert failing.subscriber.counters.acknowledged == 0
        await failing.stop()
    finally:
        await unreachable.close()

    # Same client id, so the same session: the broker hands the three over again.
    recovered = await start_collector(plant, connection, clock=lambda: AT)
    assert await wait_for_rows(db_pool, TELEMETRY, 6) == 6
    await _until(lambda: recovered.subscriber.counters.acknowledged == 3)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_messages_sent_while_the_collector_is_away_arrive_when_it_returns(
    start_collector: StartCollector,
    plant: Plant,
    db_pool: Pool,
    mqtt_broker: BrokerSpec,
    protocol: Literal["5", "3.1.1"],
) -> None:
    connection = _connection(mqtt_broker, protocol=protocol)
    first = await start_collector(plant, connection, clock=lambda: AT)
    await first.stop()

    await asyncio.to_thread(
        publish_messages, mqtt_broker.port, [(TOPIC, _document(i)) for i in range(10)]
    )
    assert await count_rows(db_pool, TELEMETRY) == 0
    await start_collector(plant, connection, clock=lambda: AT)
    assert await wait_for_rows(db_pool, TELEMETRY, 20) == 20


async def test_a_clean_session_forgets_what_was_sent_meanwhile(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    connection = _connection(mqtt_broker, persistent_session=False)
    first = await start_collector(plant, connection, clock=lambda: AT)
    await first.stop()
    await asyncio.to_thread(publish_messages, mqtt_broker.port, [(TOPIC, _document(0))])
    await start_collector(plant, connection, clock=lambda: AT)
    await asyncio.to_thread(publish_messages, mqtt_broker.port, [(TOPIC, _document(1))])
    assert await wait_for_rows(db_pool, TELEMETRY, 2) == 2
    await asyncio.sleep(0.3)
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT DISTINCT time FROM telemetry")
        times = [row[0] for row in await cursor.fetchall()]
    assert times == [AT + timedelta(seconds=1)]


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
