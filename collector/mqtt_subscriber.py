"""MQTT transport: subscribes to the plant's topics and feeds their samples to the sink.

At least once, end to end: QoS 1 messages are acknowledged by hand, only when
the sink reports their readings (or their dead letter) durable. Until then the
broker holds them, and resends them after a reconnect or a crash; the telemetry
table's unique key absorbs the repeats. The broker may have ``RECEIVE_MAXIMUM``
messages unacknowledged in flight, which bounds what the collector holds in memory.

paho's network I/O runs on the event loop (``EventLoopMqttDriver``), which reads
the socket in bursts. ``_on_message`` only stamps the receive time and appends
to a deque; once the burst is read, ``_drain`` parses it in one go.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.mqtt_connection import MqttConnection, connect_async, create_client
from collector.mqtt_event_loop import EventLoopMqttDriver
from collector.mqtt_lean_client import LeanClient
from collector.mqtt_topic_map import MqttRoutes, mqtt_routes
from collector.payload_parsing import DEFAULT_BOUNDS, PayloadError, TimeBounds, parse_json_payload
from collector.source_status import Problem, SourceStatusBoard
from collector.sparkplug_birth_store import SparkplugBirthStore
from collector.sparkplug_host import Death, SparkplugHost, SparkplugOutcome
from collector.sparkplug_partition import WHOLE_PLANT, SparkplugPartition
from collector.sparkplug_payload import NAMESPACE
from collector.telemetry_sink import TelemetrySink
from models.machine_status import OfflineReason
from models.plant import Plant
from models.readings import DeadLetter, Reading

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Messages parsed per turn of the event loop, so that a backlog does not starve it.
_BURST = 2000
_SPARKPLUG_PREFIX = NAMESPACE + "/"
_MICROSECOND = timedelta(microseconds=1)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class MqttCounters:
    """Running totals since start; the metrics endpoint reads them."""

    messages: int = 0
    dead_lettered: int = 0
    acknowledged: int = 0
    rebirths_requested: int = 0
    connects: int = 0


class MqttSubscriber:
    """Feeds one broker's messages on the plant's topics into a sink."""

    def __init__(
        self,
        routes: MqttRoutes,
        sink: TelemetrySink,
        connection: MqttConnection,
        *,
        bounds: TimeBounds = DEFAULT_BOUNDS,
        clock: Clock = wall_clock,
        rebirth_interval: timedelta = timedelta(seconds=10),
        sparkplug_partition: SparkplugPartition = WHOLE_PLANT,
        sparkplug_births: SparkplugBirthStore | None = None,
        status: SourceStatusBoard | None = None,
    ) -> None:
        """``clock`` stamps each message's arrival.

        It is the time of samples that carry none, and the reference for ``bounds``.
        Of the Sparkplug edge nodes in ``routes``, only ``sparkplug_partition``'s are
        subscribed to; ``sparkplug_births`` keeps their birth state across restarts.
        Sparkplug deaths and the broker's state go to ``status``.
        """
        self._status = status or SourceStatusBoard()
        self._source = f"mqtt://{connection.host}:{connection.port}"
        # Deaths of the message being parsed: reported once its readings are in the sink.
        self._deaths: list[Death] = []
        self._json_topics = dict(routes.json_topics)
        routes = routes.for_sparkplug_partition(sparkplug_partition)
        self._sparkplug = SparkplugHost(
            routes.edge_nodes,
            bounds=bounds,
            rebirth_interval=rebirth_interval,
            foreign_nodes=routes.foreign_edge_nodes,
            restored=sparkplug_births.load() if sparkplug_births else (),
            on_birth_change=sparkplug_births.save if sparkplug_births else None,
        )
        self._bounds = bounds
        self._clock = clock
        self._sink = sink
        self._connection = connection
        self._filters = sorted(connection.subscription(f) for f in routes.json_filters)
        # Sparkplug needs every message of a node, in order, in one host: never shared.
        self._filters += sorted(routes.sparkplug_filters)
        self._client = create_client(connection, manual_ack=True, client_type=LeanClient)
        self._driver = EventLoopMqttDriver(self._client)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._loop: asyncio.AbstractEventLoop | None = None
        # (received at, connection number, message), appended as paho parses them.
        self._inbox: deque[tuple[datetime, int, mqtt.MQTTMessage]] = deque()
        self._drain_scheduled = False
        # Counts connections; an acknowledgement for an earlier one is dropped.
        self._connection_number = 0
        self._last_received = datetime.min.replace(tzinfo=UTC)
        self.subscribed = asyncio.Event()
        self.refused: str | None = None
        self.counters = MqttCounters()

    @property
    def connection(self) -> MqttConnection:
        return self._connection

    async def run(self) -> None:
        """Connect, and keep connected (reconnecting with backoff), until cancelled."""
        self._loop = asyncio.get_running_loop()
        connect_async(self._client, self._connection)
        try:
            await self._driver.run()
        finally:
            self._connection_number += 1

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            if self.refused is None:
                log.warning(
                    "MQTT broker %s:%d refused us: %s",
                    self._connection.host,
                    self._connection.port,
                    reason_code,
                )
            self.refused = str(reason_code)
            return
        self.refused = None
        self._status.connected(self._source)
        self.counters.connects += 1
        self._connection_number += 1
        # A resumed session still has our subscriptions; subscribing again is harmless.
        client.subscribe([(topic_filter, 1) for topic_filter in self._filters])

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [
            f"{topic_filter}: {code}"
            for topic_filter, code in zip(self._filters, reason_codes, strict=False)
            if code.is_failure
        ]
        if refused:
            log.error("MQTT broker refused subscriptions: %s", "; ".join(refused))
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.subscribed.set)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connection_number += 1
        # Its machines go offline when their data stays away (silence), not now:
        # a persistent session keeps their messages at the broker meanwhile.
        detail = f"disconnected: {reason_code}"
        self._status.down(self._source, (), OfflineReason.UNREACHABLE, detail)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.subscribed.clear)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._inbox.append((self._clock(), self._connection_number, message))
        if not self._drain_scheduled and self._loop is not None:
            self._drain_scheduled = True
            self._loop.call_soon(self._drain)

    def _drain(self) -> None:
        """Parse what arrived, hand the readings to the sink, and acknowledge once durable."""
        # Cleared before reading the inbox: a message appended from now on schedules anew.
        self._drain_scheduled = False
        inbox = self._inbox
        readings: list[Reading] = []
        acks: list[int] = []
        batch_connection = self._connection_number
        burst = min(len(inbox), _BURST)
        self.counters.messages += burst
        for _ in range(burst):
            received_at, connection_number, message = inbox.popleft()
            if connection_number != batch_connection:
                self._put(readings, acks, batch_connection)
                readings, acks, batch_connection = [], [], connection_number
            # Samples without a time of their own take this one: keep it unique.
            if received_at <= self._last_received:
                received_at = self._last_received + _MICROSECOND
            self._last_received = received_at
            payload = bytes(message.payload)
            try:
                readings.extend(self._readings(_topic(message), payload, received_at))
            except Exception as error:
                letter = DeadLetter(received_at, "mqtt", _origin(message), payload, _reason(error))
                self._dead_letter(letter, message, connection_number)
                continue
            if message.qos:
                acks.append(message.mid)
            if self._deaths:
                # Readings before the death first: only data after it brings a machine back.
                self._put(readings, acks, batch_connection)
                readings, acks = [], []
                self._report_deaths()
        self._put(readings, acks, batch_connection)
        if inbox and not self._drain_scheduled and self._loop is not None:
            self._drain_scheduled = True
            self._loop.call_soon(self._drain)

    def _readings(self, topic: str, payload: bytes, received_at: datetime) -> list[Reading]:
        target = self._json_topics.get(topic)
        if target is not None:
            return parse_json_payload(target, payload, received_at=received_at, bounds=self._bounds)
        if not topic.startswith(_SPARKPLUG_PREFIX):
            raise PayloadError(f"no machine is mapped to topic {topic[:200]!r}")
        outcome = self._sparkplug.handle(topic, payload, received_at)
        self._note(topic, outcome, received_at)
        if outcome.rebirth is not None:
            # QoS 0, as the specification asks of commands.
            self._client.publish(outcome.rebirth.topic, outcome.rebirth.payload, qos=0)
            self.counters.rebirths_requested += 1
        if outcome.error is not None:
            raise PayloadError(outcome.error)
        return outcome.readings

    def _note(self, topic: str, outcome: SparkplugOutcome, received_at: datetime) -> None:
        """What a Sparkplug message says beyond its readings: deaths and misconfigurations."""
        if outcome.death is not None:
            self._deaths.append(outcome.death)
        if outcome.bd_seq_mismatch is not None:
            node = "/".join(topic.split("/")[1:4:2])
            total = self._status.count(Problem.NDEATH_BDSEQ_MISMATCH, node)
            log.warning("%s (%d so far)", outcome.bd_seq_mismatch, total)
        for subject, line in outcome.unmapped:
            self._status.count(Problem.UNMAPPED_SPARKPLUG_METRIC, subject)
            log.warning("%s", line)
            self._sink.put_dead_letter(DeadLetter(received_at, "mqtt", topic, b"", line))

    def _report_deaths(self) -> None:
        deaths, self._deaths = self._deaths, []
        for death in deaths:
            self._status.machines_down(death.machine_ids, death.reason, death.detail)

    def _dead_letter(self, letter: DeadLetter, message: mqtt.MQTTMessage, connection: int) -> None:
        self.counters.dead_lettered += 1
        acks = [message.mid] if message.qos else []
        self._sink.put_dead_letter(letter, partial(self._acknowledge, connection, acks))

    def _put(self, readings: list[Reading], acks: list[int], connection: int) -> None:
        if readings or acks:
            self._sink.put(readings, partial(self._acknowledge, connection, acks))

    def _acknowledge(self, connection: int, mids: list[int]) -> None:
        # After a reconnect the broker resends what was unacknowledged, under the
        # same ids in a resumed session: acknowledging there is its business.
        if connection != self._connection_number:
            return
        ack = self._client.ack
        for mid in mids:
            ack(mid, 1)
        self.counters.acknowledged += len(mids)


def _topic(message: mqtt.MQTTMessage) -> str:
    try:
        return message.topic
    except UnicodeDecodeError as error:
        raise PayloadError("the topic is not UTF-8") from error


def _reason(error: Exception) -> str:
    if isinstance(error, PayloadError):
        return str(error)
    # A parser bug must not stop the collector, nor lose the message.
    log.exception("MQTT message could not be handled")
    return f"internal error: {error!r}"


def _origin(message: mqtt.MQTTMessage) -> str:
    try:
        return message.topic
    except UnicodeDecodeError:
        return "(topic not UTF-8)"


def build_mqtt_subscriber(
    plant: Plant,
    sink: TelemetrySink,
    connection: MqttConnection,
    *,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    clock: Clock = wall_clock,
    sparkplug_partition: SparkplugPartition = WHOLE_PLANT,
    sparkplug_births: SparkplugBirthStore | None = None,
    status: SourceStatusBoard | None = None,
) -> MqttSubscriber | None:
    """One subscriber for every MQTT line of the plant file; None when it has none.

    With Sparkplug edge nodes split between processes, a process that hosts none
    of them and has no JSON lines has nothing to subscribe to: None as well.
    """
    routes = mqtt_routes(plant)
    if routes.for_sparkplug_partition(sparkplug_partition).is_empty:
        return None
    return MqttSubscriber(
        routes,
        sink,
        connection,
        bounds=bounds,
        clock=clock,
        sparkplug_partition=sparkplug_partition,
        sparkplug_births=sparkplug_births,
        status=status,
    )
