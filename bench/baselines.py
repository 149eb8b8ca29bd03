"""What the collector is measured against: a raw COPY, and a naive MQTT-to-INSERT bridge.

The raw COPY is the ceiling: the same rows, already in memory, COPYed in binary
into the same hypertable in one transaction, with no parsing and no broker. The
naive bridge is the floor: a paho subscriber that parses each message and runs
one INSERT per message on an autocommit connection, the way a first prototype
would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from models.readings import Reading

_COPY = "COPY telemetry (time, machine_id, signal, value, quality) FROM STDIN (FORMAT BINARY)"
_INSERT = "INSERT INTO telemetry (time, machine_id, signal, value) VALUES (%s, %s, %s, %s)"


def truncate_telemetry(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE telemetry")


def raw_copy_rate(dsn: str, readings: Sequence[Reading]) -> float:
    """Samples per second of one binary COPY of ``readings`` into an empty telemetry.

    The table is emptied before and after, so every workload starts from the same state.
    """
    truncate_telemetry(dsn)
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        with conn.cursor().copy(_COPY) as copy:
            copy.set_types(["timestamptz", "text", "text", "float8", "int2"])
            for r in readings:
                copy.write_row((r.time, r.machine_id, r.signal, r.value, int(r.quality)))
        conn.commit()
        elapsed = time.perf_counter() - started
    truncate_telemetry(dsn)
    return len(readings) / elapsed


class NaiveBridge:
    """One INSERT per single-sample message, autocommit, on paho's network thread."""

    def __init__(self, dsn: str, port: int, topic_filter: str, client_id: str) -> None:
        self._dsn = dsn
        self._port = port
        self._filter = topic_filter
        self._client_id = client_id
        self._subscribed = threading.Event()
        self.inserted = 0
        self.failed: psycopg.Error | None = None

    def join_session(self) -> None:
        """Subscribe once and leave: the broker queues for this session from now on."""
        client = self._client()
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.connect("127.0.0.1", self._port)
        client.loop_start()
        self._subscribed.wait(10)
        client.disconnect()
        client.loop_stop()

    def rate(self, expected: int, timeout_s: float) -> float:
        """Samples per second from connecting until ``expected`` rows are inserted."""
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            client = self._client()
            client.on_message = lambda _client, _userdata, message: self._insert(conn, message)
            started = time.perf_counter()
            client.connect("127.0.0.1", self._port)
            client.loop_start()
            deadline = started + timeout_s
            while self.inserted < expected and time.perf_counter() < deadline and not self.failed:
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            client.disconnect()
            client.loop_stop()
        if self.failed is not None or self.inserted < expected:
            raise RuntimeError(f"naive bridge stored {self.inserted} of {expected}: {self.failed}")
        return self.inserted / elapsed

    def _client(self) -> mqtt.Client:
        # A client per connection: paho leaks its wake-up sockets when restarted.
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        client.on_connect = self._on_connect
        return client

    def _on_connect(self, client: mqtt.Client, *_: object) -> None:
        client.subscribe(self._filter, qos=1)

    def _insert(self, conn: psycopg.Connection[Any], message: mqtt.MQTTMessage) -> None:
        document = json.loads(message.payload)
        machine = message.topic.rsplit("/", 1)[1]
        when = datetime.fromisoformat(document["ts"])
        ((signal, value),) = document["values"].items()
        try:
            conn.execute(_INSERT, (when, machine, signal, value))
        except psycopg.Error as error:
            self.failed = error
        else:
            self.inserted += 1
