"""Two collector processes in one MQTT 5 shared subscription split a plant's load.

Each runs in its own OS process, with its own broker session and its own
database pool, as two ``linecare collect`` processes would.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

import pytest

from collector.mqtt_connection import MqttConnection
from collector.mqtt_subscriber import MqttSubscriber
from collector.mqtt_topic_map import mqtt_routes
from collector.telemetry_sink import TelemetrySink
from models.plant import Plant
from services.mosquitto_broker import BrokerSpec
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.database import open_pool
from tests.collector.conftest import (
    count_rows,
    forget_session,
    publish_messages,
    wait_for_rows,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOPIC = "linecare/alpenpack-bern/line-3/l3-packer"
START = datetime(2026, 11, 21, 6, tzinfo=UTC)
MESSAGES = 2000


def _collector_process(
    dsn: str,
    plant: Plant,
    connection: MqttConnection,
    ready: Event,
    stop: Event,
    results: Queue[int],
) -> None:
    """One collector process: subscribes, stores until told to stop, reports its share."""
    asyncio.run(_collect(dsn, plant, connection, ready, stop, results))


async def _collect(
    dsn: str,
    plant: Plant,
    connection: MqttConnection,
    ready: Event,
    stop: Event,
    results: Queue[int],
) -> None:
    pool = open_pool(dsn, max_size=3)
    await pool.open(wait=True)
    sink = TelemetrySink(pool, batch_size=500, flush_interval_s=0.05)
    subscriber = MqttSubscriber(mqtt_routes(plant), sink, connection, clock=lambda: START)

    async def run() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(sink.run())
            group.create_task(subscriber.run())

    task = asyncio.create_task(run())
    try:
        await asyncio.wait_for(subscriber.subscribed.wait(), 20)
        ready.set()
        await asyncio.to_thread(stop.wait, 60)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()
    results.put(subscriber.counters.messages)


def _message(number: int) -> tuple[str, bytes]:
    ts = (START + timedelta(milliseconds=number)).isoformat()
    return TOPIC, f'{{"ts": "{ts}", "values": {{"good_count": {number}}}}}'.encode()


async def test_two_collectors_split_the_messages_with_none_lost_or_doubled(
    plant: Plant, database_dsn: str, db_pool: Pool, mqtt_broker: BrokerSpec
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    context = multiprocessing.get_context("spawn")
    ready = [context.Event(), context.Event()]
    stop = context.Event()
    results: Queue[int] = context.Queue()
    connections = [
        MqttConnection(
            host="127.0.0.1",
            port=mqtt_broker.port,
            client_id=f"shared-collector-{n}",
            shared_group="linecare-collectors",
        )
        for n in (1, 2)
    ]
    processes = [
        context.Process(
            target=_collector_process,
            args=(database_dsn, plant, connection, ready[n], stop, results),
        )
        for n, connection in enumerate(connections)
    ]
    for process in processes:
        process.start()
    try:
        for event in ready:
            assert await asyncio.to_thread(event.wait, 60), "a collector did not subscribe"
        await asyncio.to_thread(
            publish_messages, mqtt_broker.port, [_message(n) for n in range(MESSAGES)]
        )
        stored = await wait_for_rows(db_pool, "SELECT count(*) FROM telemetry", MESSAGES, 30)
        stop.set()
        shares = [await asyncio.to_thread(results.get, True, 30) for _ in processes]
    finally:
        stop.set()
        for process in processes:
            await asyncio.to_thread(process.join, 30)
            if process.is_alive():
                process.kill()
        for connection in connections:
            await asyncio.to_thread(forget_session, connection)

    assert stored == MESSAGES
    values = await count_rows(db_pool, "SELECT count(DISTINCT value) FROM telemetry")
    assert values == MESSAGES
    # Every message went to exactly one of the two, and each took a real share.
    assert sum(shares) == MESSAGES
    assert min(shares) > MESSAGES // 4, shares
    assert all(process.exitcode == 0 for process in processes)
