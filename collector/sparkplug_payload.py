"""Sparkplug B topics and payloads: decoding, metric values, times. Pure: no I/O, no clock.

Topics read ``spBv1.0/<group>/<message type>/<edge node>[/<device>]``. Values
become floats: integers of every width (signed ones arrive as two's complement
in unsigned fields), floats, doubles and booleans (1.0 and 0.0). Strings, bytes
and the richer types have no numeric value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.message import DecodeError

from collector.payload_parsing import MAX_PAYLOAD_BYTES, PayloadError, TimeBounds
from collector.sparkplug_protobuf import DataType, Metric, Payload, new_payload

NAMESPACE = "spBv1.0"
NODE_MESSAGES = frozenset({"NBIRTH", "NDATA", "NDEATH"})
DEVICE_MESSAGES = frozenset({"DBIRTH", "DDATA", "DDEATH"})
BD_SEQ = "bdSeq"
REBIRTH = "Node Control/Rebirth"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_SIGNED_WIDTH: dict[int, int] = {
    DataType.INT8: 8,
    DataType.INT16: 16,
    DataType.INT32: 32,
    DataType.INT64: 64,
}


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    group_id: str
    message_type: str
    edge_node_id: str
    device_id: str | None


def parse_topic(topic: str) -> SparkplugTopic:
    """The parts of a Sparkplug B topic that carries node or device data."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == NAMESPACE and parts[2] in NODE_MESSAGES:
        return SparkplugTopic(parts[1], parts[2], parts[3], None)
    if len(parts) == 5 and parts[0] == NAMESPACE and parts[2] in DEVICE_MESSAGES:
        return SparkplugTopic(parts[1], parts[2], parts[3], parts[4])
    raise PayloadError(f"not a Sparkplug B node or device data topic: {topic[:200]!r}")


def subscription_filters(group_id: str) -> list[str]:
    """What a host subscribes to for one group: births, data and deaths, no commands."""
    return [f"{NAMESPACE}/{group_id}/{kind}/+" for kind in sorted(NODE_MESSAGES)] + [
        f"{NAMESPACE}/{group_id}/{kind}/+/+" for kind in sorted(DEVICE_MESSAGES)
    ]


def node_subscription_filters(group_id: str, edge_node_id: str) -> list[str]:
    """What a host subscribes to for one edge node: births, data and deaths, no commands."""
    # Message types spelt out, not '+': that would bring our own rebirth commands back.
    node = [f"{NAMESPACE}/{group_id}/{kind}/{edge_node_id}" for kind in sorted(NODE_MESSAGES)]
    devices = [
        f"{NAMESPACE}/{group_id}/{kind}/{edge_node_id}/+" for kind in sorted(DEVICE_MESSAGES)
    ]
    return node + devices


def command_topic(group_id: str, edge_node_id: str) -> str:
    return f"{NAMESPACE}/{group_id}/NCMD/{edge_node_id}"


def decode_payload(payload: bytes) -> Payload:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    message = new_payload()
    try:
        message.ParseFromString(payload)
    except DecodeError as error:
        raise PayloadError(f"malformed Sparkplug B protobuf: {error}") from error
    return message


def metric_name(metric: Metric) -> str:
    """The metric's name; protobuf hands over a name that is not UTF-8 as bytes."""
    name: object = metric.name
    if not isinstance(name, str):
        raise PayloadError("a metric name is not UTF-8")
    return name


def metric_value(metric: Metric, datatype: int, label: str) -> float:
    """The metric's value as a number; ``datatype`` is the one its birth declared."""
    kind = metric.WhichOneof("value")
    if kind == "double_value":
        value = metric.double_value
    elif kind == "float_value":
        value = metric.float_value
    elif kind == "int_value":
        return float(_signed(metric.int_value, datatype))
    elif kind == "long_value":
        return float(_signed(metric.long_value, datatype))
    elif kind == "boolean_value":
        return 1.0 if metric.boolean_value else 0.0
    else:
        raise PayloadError(f"metric {label!r} has no numeric value ({kind or 'none'})")
    if not math.isfinite(value):
        raise PayloadError(f"value of metric {label!r} is not finite")
    return value


def _signed(raw: int, datatype: int) -> int:
    width = _SIGNED_WIDTH.get(datatype)
    if width is None:
        return raw
    raw &= (1 << width) - 1
    return raw - (1 << width) if raw >= 1 << (width - 1) else raw


class MessageTimes:
    """Sample times of one message: metric, else payload, else receive time; bounded."""

    __slots__ = ("_bounds", "_cache", "_received_at", "_window_ms", "default_ms")

    def __init__(self, message: Payload, received_at: datetime, bounds: TimeBounds) -> None:
        self.default_ms = message.timestamp if message.HasField("timestamp") else None
        self._received_at = received_at
        self._bounds = bounds
        self._cache: dict[int, datetime] = {}
        self._window_ms: tuple[int | None, int | None] | None = None

    def of(self, metric: Metric) -> datetime:
        return self.at(metric.timestamp if metric.HasField("timestamp") else self.default_ms)

    def at(self, ms: int | None) -> datetime:
        if ms is None:
            return self._received_at
        when = self._cache.get(ms)
        if when is None:
            when = self._cache[ms] = self._checked(ms)
        return when

    def _checked(self, ms: int) -> datetime:
        if self._window_ms is None:
            earliest, latest = self._bounds.window(self._received_at)
            self._window_ms = (
                (earliest - _EPOCH) // _MS if earliest is not None else None,
                (latest - _EPOCH) // _MS if latest is not None else None,
            )
        earliest_ms, latest_ms = self._window_ms
        if earliest_ms is not None and ms < earliest_ms:
            raise PayloadError(f"timestamp {ms} ms is too far in the past")
        if latest_ms is not None and ms > latest_ms:
            raise PayloadError(f"timestamp {ms} ms is too far in the future")
        try:
            return _EPOCH + timedelta(milliseconds=ms)
        except OverflowError as error:
            raise PayloadError(f"timestamp {ms} ms is out of range") from error


def rebirth_request(at: datetime) -> bytes:
    """An NCMD payload asking an edge node to publish all its births again."""
    message = new_payload()
    message.timestamp = (at - _EPOCH) // _MS
    metric = message.metrics.add()
    metric.name = REBIRTH
    metric.datatype = DataType.BOOLEAN
    metric.boolean_value = True
    return message.SerializeToString()
