"""Publishes the JSON MQTT lines of the plant file, one document per machine per tick.

A line whose topic template names the ``{signal}`` gets one message per sample
instead, on that signal's topic. (Sparkplug B lines: ``sparkplug_publisher``.)

paho's network loop runs in its own thread (``loop_start``); publishing only
queues a message, so the event loop never waits on the broker. Messages go out
with QoS 1; while the broker is away paho keeps a bounded queue and reconnects.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from models.mqtt_source import MqttSource
from models.plant import Plant
from simulator.mqtt_payload import MachinePayloads, encode_signal_sample
from simulator.plant_simulation import SimulationTick

_log = logging.getLogger(__name__)
QOS = 1
# About half an hour of a 3-machine line at 2 ticks per second.
_MAX_QUEUED_MESSAGES = 10_000


def mqtt_topics(plant: Plant) -> dict[str, str]:
    """Topic of every machine on a JSON line that publishes a document per machine."""
    return _json_topics(plant, signal_in_topic=False)


def mqtt_signal_topics(plant: Plant) -> dict[str, str]:
    """Topic template (``{signal}`` still open) of every machine on a JSON line by signal."""
    return _json_topics(plant, signal_in_topic=True)


def _json_topics(plant: Plant, *, signal_in_topic: bool) -> dict[str, str]:
    topics: dict[str, str] = {}
    for _customer, site, line in plant.lines():
        source = line.source
        if not isinstance(source, MqttSource) or source.payload_format != "json":
            continue
        if source.signal_in_topic != signal_in_topic:
            continue
        for machine in line.machines:
            topics[machine.id] = source.topic_template.format(
                site=site.id, line=line.id, machine=machine.id, signal="{signal}"
            )
    return topics


class MqttTickPublisher:
    """An MQTT client that turns simulation ticks into one message per machine.

    Use as ``async with MqttTickPublisher(...) as publisher:``; entering waits
    until the broker accepted the connection (or raises ``ConnectionError``).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        topics: dict[str, str],
        signal_topics: dict[str, str] | None = None,
        client_id: str = "",
        connect_timeout_s: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._topics = dict(topics)
        self._payloads = MachinePayloads(self._topics)
        # Machine -> topic template with ``{signal}`` open; filled per signal on first use.
        self._signal_templates = dict(signal_topics or {})
        self._signal_topics: dict[tuple[str, str], str] = {}
        self._connect_timeout_s = connect_timeout_s
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
        )
        self._client.max_queued_messages_set(_MAX_QUEUED_MESSAGES)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.on_connect = self._on_connect
        self._connected: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._refused: str | None = None

    async def __aenter__(self) -> MqttTickPublisher:
        self._loop = asyncio.get_running_loop()
        self._connected = asyncio.Event()
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await self._connected.wait()
        except TimeoutError:
            await self._shut_down()
            reason = f": {self._refused}" if self._refused else ""
            raise ConnectionError(
                f"no MQTT broker accepted us at {self._host}:{self._port}{reason}"
            ) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._shut_down()

    def publish(self, tick: SimulationTick) -> None:
        """Queue the tick's messages for every machine; never blocks."""
        for machine_id, payload in self._payloads.build(tick).items():
            self._send(self._topics[machine_id], payload, machine_id)
        if self._signal_templates:
            for reading in (*tick.events, *tick.samples):
                if reading.machine_id in self._signal_templates:
                    topic = self._signal_topic(reading.machine_id, reading.signal)
                    self._send(topic, encode_signal_sample(reading.time, reading.value), topic)

    def _signal_topic(self, machine_id: str, signal: str) -> str:
        topic = self._signal_topics.get((machine_id, signal))
        if topic is None:
            topic = self._signal_templates[machine_id].format(signal=signal)
            self._signal_topics[(machine_id, signal)] = topic
        return topic

    def _send(self, topic: str, payload: bytes, what: str) -> None:
        info = self._client.publish(topic, payload, qos=QOS)
        if info.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            _log.warning("MQTT queue full, dropped a message for %s", what)

    async def _shut_down(self) -> None:
        self._client.disconnect()
        # Joining paho's thread may take a moment; do not hold up the event loop meanwhile.
        await asyncio.to_thread(self._client.loop_stop)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        # Called on paho's thread: hand over to the event loop.
        if reason_code.is_failure:
            self._refused = str(reason_code)
            return
        if self._loop is not None and self._connected is not None:
            self._loop.call_soon_threadsafe(self._connected.set)
