"""The event-loop driver connects late, reconnects with capped backoff, and moves messages.

A real Mosquitto, started after the driver and restarted under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.mqtt_connection import MqttConnection, connect_async, create_client
from collector.mqtt_event_loop import EventLoopMqttDriver
from collector.mqtt_lean_client import LeanClient
from services import mosquitto_broker
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec

pytestmark = pytest.mark.integration

TOPIC = "linecare/driver-test/line/machine"


@pytest.fixture
def broker_spec() -> Iterator[BrokerSpec]:
    root = Path(tempfile.mkdtemp(prefix="linecare-driver-mqtt-"))
    spec = BrokerSpec(state_dir=root, port=free_port(), persistent=False)
    try:
        yield spec
    finally:
        mosquitto_broker.stop(spec)
        shutil.rmtree(root, ignore_errors=True)


class _Listener:
    """A LeanClient on the driver that subscribes on every connect and keeps what arrives."""

    def __init__(self, port: int) -> None:
        connection = MqttConnection("127.0.0.1", port, client_id="driver-test")
        self.client = create_client(connection, manual_ack=False, client_type=LeanClient)
        self.connects = 0
        self.payloads: list[bytes] = []
        self.subscribed = asyncio.Event()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_args: self.subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.payloads.append(bytes(m.payload))
        connect_async(self.client, connection)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connects += 1
        self.subscribed.clear()
        client.subscribe(TOPIC, qos=1)


@contextlib.asynccontextmanager
async def _driving(driver: EventLoopMqttDriver) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(driver.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110  # paho's callbacks set no event
            await asyncio.sleep(0.02)


def _publish(port: int, payloads: list[bytes]) -> None:
    publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    try:
        for payload in payloads:
            publisher.publish(TOPIC, payload, qos=1).wait_for_publish(5)
    finally:
        publisher.disconnect()
        publisher.loop_stop()


async def test_a_broker_that_comes_late_and_restarts_is_reached_each_time(
    broker_spec: BrokerSpec,
) -> None:
    listener = _Listener(broker_spec.port)
    attempts = 0
    real_reconnect = listener.client.reconnect

    def counted_reconnect() -> MQTTErrorCode:
        nonlocal attempts
        attempts += 1
        return real_reconnect()

    listener.client.reconnect = counted_reconnect  # type: ignore[method-assign]
    driver = EventLoopMqttDriver(listener.client, min_backoff_s=0.05, max_backoff_s=0.2)
    clock = asyncio.get_running_loop().time
    started = clock()
    async with _driving(driver):
        # No broker yet: attempts go on, backing off, but never stop.
        await _until(lambda: attempts >= 4)
        await asyncio.sleep(1.0)
        elapsed = clock() - started
        assert attempts <= 1 + elapsed / 0.05  # never faster than the least backoff
        assert attempts >= 5  # still trying a second later, the backoff capped at 0.2 s
        mosquitto_broker.start(broker_spec)
        await asyncio.wait_for(listener.subscribed.wait(), 10)
        await asyncio.to_thread(_publish, broker_spec.port, [b"1", b"2", b"3"])
        await _until(lambda: len(listener.payloads) == 3)

        mosquitto_broker.stop(broker_spec)
        mosquitto_broker.start(broker_spec)
        await _until(lambda: listener.connects == 2)
        await asyncio.wait_for(listener.subscribed.wait(), 10)
        await asyncio.to_thread(_publish, broker_spec.port, [b"4"])
        await _until(lambda: len(listener.payloads) == 4)
    assert listener.payloads == [b"1", b"2", b"3", b"4"]
    assert listener.client.socket() is None or listener.client.socket().fileno() == -1  # type: ignore[union-attr]


async def test_a_queued_backlog_arrives_whole_and_in_order(broker_spec: BrokerSpec) -> None:
    mosquitto_broker.start(broker_spec)
    listener = _Listener(broker_spec.port)
    async with _driving(EventLoopMqttDriver(listener.client)):
        await asyncio.wait_for(listener.subscribed.wait(), 10)
    # Away: the broker queues for the persistent session, and hands it all over at once,
    # many read turns' worth, so buffered packets must be picked up again.
    payloads = [str(n).encode() * 20 for n in range(6000)]
    await asyncio.to_thread(_publish, broker_spec.port, payloads)
    listener = _Listener(broker_spec.port)
    async with _driving(EventLoopMqttDriver(listener.client, packets_per_turn=10)):
        await _until(lambda: len(listener.payloads) == len(payloads))
    assert listener.payloads == payloads


async def test_a_message_that_breaks_a_callback_drops_the_connection_not_the_collector() -> None:
    # A broker that accepts, then sends one plain message (QoS 0, MQTT 5).
    connections = 0
    topic = TOPIC.encode()
    publish = len(topic).to_bytes(2, "big") + topic + b"\x00" + b"42"

    async def broker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read(1024)  # CONNECT
        writer.write(bytes([0x20, 0x03, 0x00, 0x00, 0x00]))  # CONNACK, accepted
        writer.write(bytes([0x30, len(publish)]) + publish)
        await writer.drain()
        await reader.read(1024)  # until the client hangs up
        writer.close()

    def broken_callback(*_args: object) -> None:
        raise RuntimeError("a bug in the message handler")

    server = await asyncio.start_server(broker, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    listener = _Listener(port)
    listener.client.on_message = broken_callback
    async with server, _driving(EventLoopMqttDriver(listener.client, min_backoff_s=0.05)):
        # paho leaves a packet whose handling raised half-read: the client hangs up
        # and connects again rather than reading on from the middle of a packet.
        await _until(lambda: connections >= 2, timeout_s=10)
