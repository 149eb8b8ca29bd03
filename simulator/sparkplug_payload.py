"""The Sparkplug B messages of a simulated edge node: births, data and deaths.

One line is one edge node and its machines are the node's devices. A DBIRTH
declares every signal of a machine as a metric with a name, an alias and a
datatype; DDATA then names metrics by alias only, each sample with its own
timestamp. ``seq`` runs 0..255 over all of the node's messages from NBIRTH on;
``bdSeq`` ties NBIRTH to the NDEATH the broker publishes when the node dies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from collector.sparkplug_payload import BD_SEQ, NAMESPACE, REBIRTH
from collector.sparkplug_protobuf import DataType, Metric, Payload, new_payload
from models.plant import SignalKind, SignalSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_INTEGER_KINDS = frozenset(
    {SignalKind.STATE, SignalKind.COUNTER, SignalKind.PRODUCT, SignalKind.FAULT}
)


def epoch_ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


@dataclass(frozen=True, slots=True)
class DeviceMetrics:
    """The metrics of one device: signal -> (metric name, alias, datatype)."""

    device_id: str
    metrics: Mapping[str, tuple[str, int, DataType]]


@dataclass(slots=True)
class EdgeNodeMessages:
    """Encodes one edge node's messages, numbering ``seq`` as it goes."""

    group_id: str
    edge_node_id: str
    # Machine id -> its device's metrics.
    devices: Mapping[str, DeviceMetrics]
    bd_seq: int = 0
    _seq: int = field(default=0, init=False)

    @classmethod
    def for_machines(
        cls,
        group_id: str,
        edge_node_id: str,
        machines: Mapping[str, tuple[str, Iterable[SignalSpec]]],
        *,
        metric_names: Mapping[str, str] | None = None,
        bd_seq: int = 0,
    ) -> EdgeNodeMessages:
        """``machines``: machine id -> (device id, signals); ``metric_names``: signal -> metric.

        Aliases are unique across the node, as the specification asks.
        """
        names = dict(metric_names or {})
        alias = 0
        devices: dict[str, DeviceMetrics] = {}
        for machine_id, (device_id, signals) in machines.items():
            metrics: dict[str, tuple[str, int, DataType]] = {}
            for spec in signals:
                alias += 1
                datatype = DataType.INT64 if spec.kind in _INTEGER_KINDS else DataType.DOUBLE
                metrics[spec.name] = (names.get(spec.name, spec.name), alias, datatype)
            devices[machine_id] = DeviceMetrics(device_id, metrics)
        return cls(group_id, edge_node_id, devices, bd_seq)

    def topic(self, message_type: str, machine_id: str | None = None) -> str:
        base = f"{NAMESPACE}/{self.group_id}/{message_type}/{self.edge_node_id}"
        return base if machine_id is None else f"{base}/{self.devices[machine_id].device_id}"

    def node_birth(self, at: datetime) -> bytes:
        self._seq = 0
        message = self._message(at)
        _set_value(_metric(message, BD_SEQ, DataType.INT64), DataType.INT64, self.bd_seq)
        rebirth = _metric(message, REBIRTH, DataType.BOOLEAN)
        rebirth.boolean_value = False
        return message.SerializeToString()

    def node_death(self) -> bytes:
        """The will message: ``bdSeq`` and no ``seq``."""
        message = new_payload()
        _set_value(_metric(message, BD_SEQ, DataType.INT64), DataType.INT64, self.bd_seq)
        return message.SerializeToString()

    def device_birth(self, machine_id: str, at: datetime, values: Mapping[str, float]) -> bytes:
        """Every metric of the device, with name and alias; null where no value is known."""
        message = self._message(at)
        for signal, (name, alias, datatype) in self.devices[machine_id].metrics.items():
            metric = _metric(message, name, datatype)
            metric.alias = alias
            value = values.get(signal)
            if value is None:
                metric.is_null = True
            else:
                _set_value(metric, datatype, value)
        return message.SerializeToString()

    def device_data(
        self, machine_id: str, at: datetime, samples: Iterable[tuple[datetime, str, float]]
    ) -> bytes:
        """Samples as (time, signal, value), by alias and each with its own timestamp."""
        message = self._message(at)
        metrics = self.devices[machine_id].metrics
        for when, signal, value in samples:
            _, alias, datatype = metrics[signal]
            metric = message.metrics.add()
            metric.alias = alias
            metric.timestamp = epoch_ms(when)
            _set_value(metric, datatype, value)
        return message.SerializeToString()

    def device_death(self, machine_id: str, at: datetime) -> bytes:
        return self._message(at).SerializeToString()

    def _message(self, at: datetime) -> Payload:
        message = new_payload()
        message.timestamp = epoch_ms(at)
        message.seq = self._seq
        self._seq = (self._seq + 1) % 256
        return message


def _metric(message: Payload, name: str, datatype: DataType) -> Metric:
    metric = message.metrics.add()
    metric.name = name
    metric.datatype = datatype
    return metric


def _set_value(metric: Metric, datatype: DataType, value: float) -> None:
    if datatype == DataType.DOUBLE:
        metric.double_value = value
    elif datatype == DataType.BOOLEAN:
        metric.boolean_value = bool(value)
    elif math.isfinite(value):
        # Int64 travels as two's complement in the unsigned long field.
        metric.long_value = int(value) % (1 << 64)
    else:
        metric.is_null = True
