"""TLS and username/password against a Mosquitto that wants both."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid

import pytest

from models.plant import Plant
from storage.connections import Pool
from tests.collector.conftest import (
    SecureBroker,
    StartCollector,
    publish_messages,
    wait_for_rows,
)

pytestmark = pytest.mark.integration

TOPIC = "linecare/alpenpack-bern/line-3/l3-sealer"


def _client_id() -> str:
    return f"tls-{uuid.uuid4().hex[:8]}"


async def test_samples_arrive_over_tls_with_a_password(
    start_collector: StartCollector, plant: Plant, db_pool: Pool, secure_broker: SecureBroker
) -> None:
    connection = secure_broker.connection(client_id=_client_id())
    await start_collector(plant, connection)
    payload = json.dumps({"values": {"speed": 42.0}}).encode()
    await asyncio.to_thread(
        publish_messages, secure_broker.port, [(TOPIC, payload)], connection=connection
    )
    assert await wait_for_rows(db_pool, "SELECT count(*) FROM telemetry", 1) == 1


async def test_a_wrong_password_is_refused_and_reported(
    start_collector: StartCollector, plant: Plant, secure_broker: SecureBroker
) -> None:
    connection = secure_broker.connection(client_id=_client_id(), password="wrong")
    collector = await start_collector(plant, connection, wait=False)
    await _until(lambda: collector.subscriber.refused is not None)
    assert collector.subscriber.refused in {"Not authorized", "Bad user name or password"}
    assert not collector.subscriber.subscribed.is_set()


# paho does not close the socket of a failed TLS handshake before it retries.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_broker_certificate_from_an_unknown_ca_is_not_trusted(
    start_collector: StartCollector, plant: Plant, secure_broker: SecureBroker
) -> None:
    # Without our CA, only the system's CAs are trusted: they never signed the test broker.
    connection = secure_broker.connection(client_id=_client_id(), ca_file=None)
    collector = await start_collector(plant, connection, wait=False)
    await asyncio.sleep(1.0)
    await collector.stop()
    gc.collect()
    assert not collector.subscriber.subscribed.is_set()
    assert collector.subscriber.counters.connects == 0


async def _until(condition: object, timeout_s: float = 10.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
