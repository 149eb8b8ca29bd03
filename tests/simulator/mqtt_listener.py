"""A plain paho subscriber for tests: collects messages on its own thread."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from dataclasses import dataclass
from types import TracebackType

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

JsonDocument = dict[str, object]


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    document: JsonDocument
    qos: int


class MqttListener:
    """``async with MqttListener(port, "linecare/#") as listener``: subscribed on entry."""

    def __init__(self, port: int, topic: str) -> None:
        self._port = port
        self._topic = topic
        self._messages: queue.Queue[Received] = queue.Queue()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    async def __aenter__(self) -> MqttListener:
        self._client.connect_async("127.0.0.1", self._port)
        self._client.loop_start()
        if not await asyncio.to_thread(self._subscribed.wait, 5.0):
            raise TimeoutError(f"could not subscribe to {self._topic}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    async def next(self, timeout_s: float = 5.0) -> Received:
        return await asyncio.to_thread(self._messages.get, True, timeout_s)

    async def collect(self, count: int, timeout_s: float = 5.0) -> list[Received]:
        return [await self.next(timeout_s) for _ in range(count)]

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        client.subscribe(self._topic, qos=1)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._messages.put(Received(message.topic, json.loads(message.payload), message.qos))
