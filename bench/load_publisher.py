"""Publishes one benchmark workload with QoS 1 and exits once the broker has all of it.

Run as its own process (``python -m bench.load_publisher ...``) before the
collector connects: the broker queues the messages in the collector's persistent
session, so the timed part measures the collector alone, not this publisher.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.bench_plant import (
    BATCH_SIGNALS,
    JSON_LINE,
    JSON_TOPIC,
    SIGNALS,
    SINGLE_SIGNAL,
    SPARKPLUG_GROUP,
    SPARKPLUG_LINE,
    SPARKPLUG_NODE,
    Workload,
    machine_ids,
)
from simulator.sparkplug_payload import EdgeNodeMessages

KINDS = ("json_batch", "single", "sparkplug")
_CHUNK = 20_000


def workload(kind: str, messages: int, timestamps: int, start: datetime) -> Workload:
    signals = (SINGLE_SIGNAL,) if kind == "single" else BATCH_SIGNALS
    return Workload(messages, 1 if kind == "single" else timestamps, signals, start)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def json_messages(load: Workload) -> Iterator[tuple[str, bytes]]:
    for machine, samples in load.message_samples(JSON_LINE):
        topic = JSON_TOPIC.format(line=JSON_LINE, machine=machine)
        documents = [{"ts": _iso(when), "values": values} for when, values in samples]
        body = documents[0] if len(documents) == 1 else {"samples": documents}
        yield topic, json.dumps(body, separators=(",", ":")).encode()


def sparkplug_messages(load: Workload) -> Iterator[tuple[str, bytes]]:
    machines = machine_ids(SPARKPLUG_LINE)
    node = EdgeNodeMessages.for_machines(
        SPARKPLUG_GROUP, SPARKPLUG_NODE, {m: (m, SIGNALS) for m in machines}
    )
    yield node.topic("NBIRTH"), node.node_birth(load.start)
    for machine in machines:
        yield node.topic("DBIRTH", machine), node.device_birth(machine, load.start, {})
    for machine, samples in load.message_samples(SPARKPLUG_LINE):
        flat = [
            (when, signal, value) for when, values in samples for signal, value in values.items()
        ]
        yield node.topic("DDATA", machine), node.device_data(machine, samples[-1][0], flat)


def publish(port: int, messages: Sequence[tuple[str, bytes]]) -> None:
    """QoS 1, many in flight; returns once every message is acknowledged by the broker."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        # Message ids wrap at 65,535: never have more than that unacknowledged.
        for first in range(0, len(messages), _CHUNK):
            chunk = messages[first : first + _CHUNK]
            infos = [client.publish(topic, payload, qos=1) for topic, payload in chunk]
            for info in infos:
                info.wait_for_publish(60)
    finally:
        client.disconnect()
        client.loop_stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--timestamps", type=int, default=50, help="sample times per message")
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    args = parser.parse_args(argv)
    load = workload(args.kind, args.messages, args.timestamps, args.start.astimezone(UTC))
    encode = sparkplug_messages if args.kind == "sparkplug" else json_messages
    messages = list(encode(load))
    publish(args.port, messages)
    print(f"published {len(messages)} messages, {load.samples} samples", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
