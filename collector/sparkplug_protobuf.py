"""The Sparkplug B payload as protobuf messages, described here rather than generated.

Field numbers and types follow the Sparkplug B specification (Eclipse Sparkplug
3.0, payload definition), so any edge node's message decodes. Only the fields
LineCare reads or writes are described; protobuf keeps the others (metadata,
property sets, data sets, templates) as unknown fields, and a metric whose value
is one of them simply has no numeric value. Describing the schema in code keeps
protoc and generated modules out of the build; the classes are built once, by
the C protobuf runtime, and parse as fast as generated ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum
from typing import Protocol, cast

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


class DataType(IntEnum):
    """Metric datatypes, numbered as in the specification (the ones LineCare meets)."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14


class Metric(Protocol):
    """One ``Payload.Metric``; unset scalar fields read as zero, so ask ``HasField``."""

    name: str
    alias: int
    timestamp: int
    datatype: int
    is_historical: bool
    is_null: bool
    int_value: int
    long_value: int
    float_value: float
    double_value: float
    boolean_value: bool
    string_value: str

    def HasField(self, field_name: str) -> bool: ...

    def WhichOneof(self, oneof_group: str) -> str | None: ...


class MetricList(Protocol):
    def add(self) -> Metric: ...

    def __iter__(self) -> Iterator[Metric]: ...

    def __len__(self) -> int: ...


class Payload(Protocol):
    """One Sparkplug B message body."""

    timestamp: int
    seq: int

    @property
    def metrics(self) -> MetricList: ...

    def HasField(self, field_name: str) -> bool: ...

    def ParseFromString(self, serialized: bytes) -> int: ...

    def SerializeToString(self) -> bytes: ...


class PayloadClass(Protocol):
    def __call__(self) -> Payload: ...


# (name, number, type) of the metric's optional fields; the value fields form a oneof.
_METRIC_FIELDS = (
    ("name", 1, _F.TYPE_STRING),
    ("alias", 2, _F.TYPE_UINT64),
    ("timestamp", 3, _F.TYPE_UINT64),
    ("datatype", 4, _F.TYPE_UINT32),
    ("is_historical", 5, _F.TYPE_BOOL),
    ("is_transient", 6, _F.TYPE_BOOL),
    ("is_null", 7, _F.TYPE_BOOL),
)
_METRIC_VALUES = (
    ("int_value", 10, _F.TYPE_UINT32),
    ("long_value", 11, _F.TYPE_UINT64),
    ("float_value", 12, _F.TYPE_FLOAT),
    ("double_value", 13, _F.TYPE_DOUBLE),
    ("boolean_value", 14, _F.TYPE_BOOL),
    ("string_value", 15, _F.TYPE_STRING),
    ("bytes_value", 16, _F.TYPE_BYTES),
)
_PAYLOAD_FIELDS = (
    ("timestamp", 1, _F.TYPE_UINT64),
    ("seq", 3, _F.TYPE_UINT64),
    ("uuid", 4, _F.TYPE_STRING),
    ("body", 5, _F.TYPE_BYTES),
)
_PACKAGE = "linecare.sparkplug_b"


def _describe() -> descriptor_pb2.FileDescriptorProto:
    schema = descriptor_pb2.FileDescriptorProto(
        name="linecare/sparkplug_b.proto", package=_PACKAGE, syntax="proto2"
    )
    payload = schema.message_type.add(name="Payload")
    for name, number, kind in _PAYLOAD_FIELDS:
        payload.field.add(name=name, number=number, type=kind, label=_F.LABEL_OPTIONAL)
    payload.field.add(
        name="metrics",
        number=2,
        type=_F.TYPE_MESSAGE,
        type_name=f".{_PACKAGE}.Payload.Metric",
        label=_F.LABEL_REPEATED,
    )
    metric = payload.nested_type.add(name="Metric")
    for name, number, kind in _METRIC_FIELDS:
        metric.field.add(name=name, number=number, type=kind, label=_F.LABEL_OPTIONAL)
    metric.oneof_decl.add(name="value")
    for name, number, kind in _METRIC_VALUES:
        metric.field.add(
            name=name, number=number, type=kind, label=_F.LABEL_OPTIONAL, oneof_index=0
        )
    return schema


def _payload_class() -> PayloadClass:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_describe())
    message_class = message_factory.GetMessageClass(
        pool.FindMessageTypeByName(f"{_PACKAGE}.Payload")
    )
    return cast(PayloadClass, message_class)


new_payload: PayloadClass = _payload_class()
"""``new_payload()`` is an empty Sparkplug B payload to fill or to parse into."""
