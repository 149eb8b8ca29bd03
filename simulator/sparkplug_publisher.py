"""Publishes the Sparkplug B lines of the plant file: each line one edge node.

Every edge node has its own MQTT client, whose will is the node's NDEATH. After
each connect, and whenever a host asks for it with an NCMD ``Node Control/
Rebirth``, the next tick starts with NBIRTH and one DBIRTH per machine carrying
the current values; then every tick sends one DDATA per machine.

The specification publishes data with QoS 0. A line here publishes with QoS 1
by default, so that the collector's at-least-once path is exercised end to end.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime
from types import TracebackType

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.sparkplug_payload import REBIRTH, decode_payload
from models.mqtt_source import MqttSource
from models.plant import Plant
from simulator.plant_simulation import SimulationTick
from simulator.sparkplug_payload import EdgeNodeMessages

_MAX_QUEUED_MESSAGES = 10_000


def sparkplug_edge_nodes(plant: Plant) -> list[EdgeNodeMessages]:
    """The edge node of every Sparkplug B line, numbering aliases from the plant file."""
    nodes: list[EdgeNodeMessages] = []
    for _, _, line in plant.lines():
        source = line.source
        if not isinstance(source, MqttSource) or source.payload_format != "sparkplug_b":
            continue
        assert source.sparkplug is not None
        device_of = {machine: device for device, machine in source.sparkplug.devices.items()}
        metric_of = {signal: metric for metric, signal in source.sparkplug.metric_signals.items()}
        machines = {m.id: (device_of.get(m.id, m.id), m.signals) for m in line.machines}
        nodes.append(
            EdgeNodeMessages.for_machines(
                source.sparkplug.group_id,
                source.sparkplug.edge_node_id,
                machines,
                metric_names=metric_of,
            )
        )
    return nodes


class SparkplugEdgeNodePublisher:
    """One simulated edge node on the broker.

    ``async with SparkplugEdgeNodePublisher(node, host=..., port=...) as edge:`` waits
    until the broker accepted the connection; ``edge.publish(tick)`` never blocks.
    """

    def __init__(
        self,
        node: EdgeNodeMessages,
        *,
        host: str,
        port: int,
        qos: int = 1,
        client_id: str = "",
        connect_timeout_s: float = 10.0,
    ) -> None:
        self._node = node
        self._host = host
        self._port = port
        self._qos = qos
        self._connect_timeout_s = connect_timeout_s
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id
        )
        self._client.max_queued_messages_set(_MAX_QUEUED_MESSAGES)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.will_set(node.topic("NDEATH"), node.node_death(), qos=1)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._connected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Set on paho's thread (connect, rebirth request), read and cleared on publish.
        self._birth_due = True
        self._values: dict[str, dict[str, float]] = {machine: {} for machine in node.devices}
        self._last_sent: mqtt.MQTTMessageInfo | None = None
        self.rebirths_requested = 0

    async def __aenter__(self) -> SparkplugEdgeNodePublisher:
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await self._connected.wait()
        except TimeoutError:
            await self._shut_down()
            raise ConnectionError(
                f"no MQTT broker accepted us at {self._host}:{self._port}"
            ) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # A node that leaves on purpose says so; the will covers the other departures.
        info = self._client.publish(self._node.topic("NDEATH"), self._node.node_death(), qos=1)
        await asyncio.to_thread(info.wait_for_publish, 2.0)
        await self._shut_down()

    def publish(self, tick: SimulationTick) -> None:
        """Births first when due, then one DDATA per machine with this tick's samples."""
        samples: dict[str, list[tuple[datetime, str, float]]] = {m: [] for m in self._values}
        for reading in (*tick.events, *tick.samples):
            machine_samples = samples.get(reading.machine_id)
            if machine_samples is not None:
                machine_samples.append((reading.time, reading.signal, reading.value))
                self._values[reading.machine_id][reading.signal] = reading.value
        if self._birth_due:
            self._birth_due = False
            self._publish_births(tick.time)
        for machine_id, machine_samples in samples.items():
            if machine_samples:
                payload = self._node.device_data(machine_id, tick.time, machine_samples)
                self._send(self._node.topic("DDATA", machine_id), payload)

    def _publish_births(self, at: datetime) -> None:
        self._send(self._node.topic("NBIRTH"), self._node.node_birth(at))
        for machine_id, values in self._values.items():
            payload = self._node.device_birth(machine_id, at, values)
            self._send(self._node.topic("DBIRTH", machine_id), payload)

    async def delivered(self, timeout_s: float = 5.0) -> None:
        """Wait until the broker has taken everything published so far."""
        if self._last_sent is not None:
            await asyncio.to_thread(self._last_sent.wait_for_publish, timeout_s)

    def _send(self, topic: str, payload: bytes) -> None:
        self._last_sent = self._client.publish(topic, payload, qos=self._qos)

    async def _shut_down(self) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            return
        self._birth_due = True
        client.subscribe(self._node.topic("NCMD"), qos=1)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._connected.set)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            metrics = list(decode_payload(bytes(message.payload)).metrics)
        except ValueError:
            return
        if any(m.name == REBIRTH and m.boolean_value for m in metrics):
            self.rebirths_requested += 1
            self._birth_due = True


class SparkplugTickPublisher:
    """Every Sparkplug B edge node of the plant, each with its own client."""

    def __init__(
        self,
        nodes: list[EdgeNodeMessages],
        *,
        host: str,
        port: int,
        qos: int = 1,
        client_prefix: str = "",
    ) -> None:
        self._stack = AsyncExitStack()
        self.edges = [
            SparkplugEdgeNodePublisher(
                node,
                host=host,
                port=port,
                qos=qos,
                client_id=f"{client_prefix}{node.group_id}-{node.edge_node_id}"
                if client_prefix
                else "",
            )
            for node in nodes
        ]

    async def __aenter__(self) -> SparkplugTickPublisher:
        async with AsyncExitStack() as stack:
            for edge in self.edges:
                await stack.enter_async_context(edge)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    def publish(self, tick: SimulationTick) -> None:
        for edge in self.edges:
            edge.publish(tick)
