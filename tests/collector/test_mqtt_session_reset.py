"""Starting over: discarding a collector's broker session drops what was queued for it."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.mqtt_connection import (
    MqttConnection,
    connect_async,
    create_client,
    discard_session,
)
from services.mosquitto_broker import BrokerSpec

pytestmark = pytest.mark.integration

TOPIC = "linecare/reset-test/line/machine"


def _session_messages(connection: MqttConnection, *, subscribe: bool, wait_s: float) -> list[bytes]:
    """Connect with the persistent session, optionally subscribe, collect what arrives."""
    received: list[bytes] = []
    subscribed = threading.Event()
    client = create_client(connection, manual_ack=False)
    client.on_message = lambda _c, _u, message: received.append(bytes(message.payload))
    client.on_subscribe = lambda *_args: subscribed.set()

    def on_connect(c: mqtt.Client, *_args: object) -> None:
        if subscribe:
            c.subscribe(TOPIC, qos=1)
        else:
            subscribed.set()

    client.on_connect = on_connect
    connect_async(client, connection)
    client.loop_start()
    try:
        assert subscribed.wait(10)
        time.sleep(wait_s)
    finally:
        client.disconnect()
        client.loop_stop()
    return received


def _publish(port: int, payload: bytes) -> None:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(TOPIC, payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_queued_messages_survive_a_reconnect_but_not_a_discard(
    mqtt_broker: BrokerSpec, protocol: str
) -> None:
    connection = MqttConnection(
        host="127.0.0.1",
        port=mqtt_broker.port,
        protocol="5" if protocol == "5" else "3.1.1",
        client_id=f"reset-test-{protocol}",
    )
    _session_messages(connection, subscribe=True, wait_s=0)

    _publish(mqtt_broker.port, b"kept")
    assert _session_messages(connection, subscribe=False, wait_s=0.5) == [b"kept"]

    _publish(mqtt_broker.port, b"stale")
    discard_session(connection)
    assert _session_messages(connection, subscribe=False, wait_s=0.5) == []
