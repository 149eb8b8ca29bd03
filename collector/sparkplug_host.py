"""A Sparkplug B host application's bookkeeping: births, aliases, sequence, deaths.

Pure: the caller passes each message with the time it arrived and gets back the
readings, or the reason to dead-letter the message, and whether to ask the edge
node for a rebirth. Per edge node it keeps:

- the node's ``bdSeq`` from NBIRTH, so that only the NDEATH of the current
  session marks its machines offline. An NDEATH whose bdSeq differs is reported
  (``bd_seq_mismatch``) and, tolerantly, still taken for a death unless its
  bdSeq is an earlier session's (the previous NBIRTH's, or the one before the
  current): a stale will delivered late is ignored, while an edge library that
  sends its clean-disconnect NDEATH with the next bdSeq still takes its
  machines offline;
- the ``seq`` of the last message (0..255, wrapping); a gap means messages were
  lost, and the node is asked to rebirth (NCMD ``Node Control/Rebirth``);
- per device, the metrics its DBIRTH declared: alias and name -> signal and
  datatype. DDATA usually names metrics by alias only.

A machine's presence is the pseudo-signal ``online``: 1 at its DBIRTH, 0 at its
DDEATH or its node's NDEATH; the outcome's ``deaths`` name the machines that
went offline, for the machine status. A metric a DBIRTH declares that no signal
of the machine maps is dropped, and reported once per device and metric name
(``unmapped``). Data that cannot be decoded (no birth seen, an
alias the birth did not declare) is dead-lettered and a rebirth requested;
the rebirth brings the current values again.

The birth state can outlive the process: the host starts from ``restored``
states and reports each node's new state to ``on_birth_change`` after every
birth and death (``sparkplug_birth_store`` keeps them on disk). Edge nodes that
another collector hosts (``foreign_nodes``) are ignored, not dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from collector.payload_parsing import DEFAULT_BOUNDS, PayloadError, TimeBounds
from collector.sparkplug_birth_state import DeclaredMetric, NodeBirthState
from collector.sparkplug_payload import (
    BD_SEQ,
    MessageTimes,
    command_topic,
    decode_payload,
    metric_name,
    metric_value,
    parse_topic,
    rebirth_request,
)
from collector.sparkplug_protobuf import Payload
from models.machine_status import OfflineReason
from models.readings import Reading

ONLINE_SIGNAL = "online"


@dataclass(frozen=True, slots=True)
class SparkplugDevice:
    """The machine behind one Sparkplug device, and the signals it has."""

    machine_id: str
    signals: frozenset[str]


@dataclass(frozen=True, slots=True)
class EdgeNode:
    """One edge node of the plant file: its devices and how metrics map to signals."""

    group_id: str
    edge_node_id: str
    devices: Mapping[str, SparkplugDevice]
    # Metric name -> signal; a metric not named here feeds the signal of its own name.
    metric_signals: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RebirthRequest:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Death:
    """Machines that went offline with this message, and which message said so."""

    machine_ids: tuple[str, ...]
    reason: OfflineReason
    detail: str


@dataclass(slots=True)
class SparkplugOutcome:
    """What one message comes to. With ``error`` set, its readings are dead-lettered."""

    readings: list[Reading] = field(default_factory=list)
    error: str | None = None
    rebirth: RebirthRequest | None = None
    death: Death | None = None
    # Set when an NDEATH's bdSeq is not its node's NBIRTH's: what happened, in a line.
    bd_seq_mismatch: str | None = None
    # Metrics of a DBIRTH no signal maps, first declared now: (device/metric, one line).
    unmapped: list[tuple[str, str]] = field(default_factory=list)


class _UndeclaredMetric(PayloadError):
    """A data message names a metric its birth did not declare."""


class _Channel(NamedTuple):
    signal: str | None  # None: a metric the machine does not monitor
    datatype: int


class _DeviceState:
    __slots__ = ("by_alias", "by_name", "declared", "device")

    def __init__(self, device: SparkplugDevice, declared: tuple[DeclaredMetric, ...]) -> None:
        self.device = device
        self.declared = declared
        self.by_alias: dict[int, _Channel] = {}
        self.by_name: dict[str, _Channel] = {}


class _NodeState:
    __slots__ = ("bd_seq", "born", "devices", "node", "previous_bd_seq", "rebirth_asked_at", "seq")

    def __init__(self, node: EdgeNode) -> None:
        self.node = node
        self.born = False
        self.bd_seq: int | None = None
        # The bdSeq of the session before the current one, when this host saw it.
        self.previous_bd_seq: int | None = None
        self.seq = 0
        self.devices: dict[str, _DeviceState] = {}
        self.rebirth_asked_at: datetime | None = None


class SparkplugHost:
    """Turns the messages of the plant's edge nodes into readings."""

    def __init__(
        self,
        nodes: Iterable[EdgeNode],
        *,
        bounds: TimeBounds = DEFAULT_BOUNDS,
        rebirth_interval: timedelta = timedelta(seconds=10),
        foreign_nodes: Collection[tuple[str, str]] = (),
        restored: Iterable[NodeBirthState] = (),
        on_birth_change: Callable[[NodeBirthState], None] | None = None,
    ) -> None:
        """``foreign_nodes``: (group, edge node) pairs another collector hosts."""
        self._nodes = {(n.group_id, n.edge_node_id): _NodeState(n) for n in nodes}
        self._foreign_nodes = frozenset(foreign_nodes)
        self._bounds = bounds
        self._rebirth_interval = rebirth_interval
        self._on_birth_change = on_birth_change
        # (group, node, device, metric) already reported as mapped to no signal.
        self._reported_unmapped: set[tuple[str, str, str, str]] = set()
        for saved in restored:
            self._restore(saved)

    def handle(self, topic: str, payload: bytes, received_at: datetime) -> SparkplugOutcome:
        """The readings of one message, or why it is dead-lettered; never raises."""
        try:
            where = parse_topic(topic)
        except PayloadError as error:
            return SparkplugOutcome(error=str(error))
        key = (where.group_id, where.edge_node_id)
        state = self._nodes.get(key)
        if state is None:
            if key in self._foreign_nodes:
                # Its own collector decodes it; a subscription left over from an
                # earlier split of the nodes brought it here as well.
                return SparkplugOutcome()
            return SparkplugOutcome(
                error=f"unknown Sparkplug edge node {where.group_id}/{where.edge_node_id}"
            )
        try:
            message = decode_payload(payload)
        except PayloadError as error:
            # Its seq is lost with it: take it for a gap.
            return SparkplugOutcome(error=str(error), rebirth=self._rebirth(state, received_at))
        device_id = where.device_id
        if device_id is not None and device_id not in state.node.devices:
            if state.born:
                self._continues(state, message)
            return SparkplugOutcome(error=f"unknown Sparkplug device {device_id!r}")
        kind = where.message_type
        if kind == "DDATA":
            return self._device_data(state, device_id or "", message, received_at)
        if kind == "NDATA":
            return self._node_data(state, message, received_at)
        if kind == "DBIRTH":
            outcome = self._device_birth(state, device_id or "", message, received_at)
        elif kind == "NBIRTH":
            outcome = self._node_birth(state, message)
        elif kind == "DDEATH":
            outcome = self._device_death(state, device_id or "", message, received_at)
        else:
            outcome = self._node_death(state, message, received_at)
        # Births and deaths are rare: handing over the whole node's state after each is cheap.
        self._birth_changed(state)
        return outcome

    def snapshot(self) -> list[NodeBirthState]:
        """The birth state of every edge node heard from, to restore a later host with."""
        return [
            self._birth_state(state)
            for state in self._nodes.values()
            if state.born or state.bd_seq is not None
        ]

    def _restore(self, saved: NodeBirthState) -> None:
        state = self._nodes.get((saved.group_id, saved.edge_node_id))
        if state is None:
            return  # gone from the plant file, or hosted by another collector now
        state.born = saved.born
        state.bd_seq = saved.bd_seq
        state.seq = saved.seq
        state.devices = {
            device_id: _device_state(state.node, device, declared)
            for device_id, declared in saved.devices.items()
            if (device := state.node.devices.get(device_id)) is not None
        }

    def _birth_state(self, state: _NodeState) -> NodeBirthState:
        node = state.node
        return NodeBirthState(
            group_id=node.group_id,
            edge_node_id=node.edge_node_id,
            born=state.born,
            bd_seq=state.bd_seq,
            seq=state.seq,
            devices={device_id: d.declared for device_id, d in state.devices.items()},
        )

    def _birth_changed(self, state: _NodeState) -> None:
        if self._on_birth_change is not None:
            self._on_birth_change(self._birth_state(state))

    def _node_birth(self, state: _NodeState, message: Payload) -> SparkplugOutcome:
        state.born = True
        state.seq = message.seq
        new_bd_seq = _bd_seq(message)
        if new_bd_seq != state.bd_seq:
            state.previous_bd_seq = state.bd_seq
        state.bd_seq = new_bd_seq
        state.devices.clear()
        state.rebirth_asked_at = None
        return SparkplugOutcome()

    def _node_data(
        self, state: _NodeState, message: Payload, received_at: datetime
    ) -> SparkplugOutcome:
        # Node metrics describe the edge node, not a machine: only the sequence matters.
        if state.born and self._continues(state, message):
            return SparkplugOutcome()
        return SparkplugOutcome(rebirth=self._rebirth(state, received_at))

    def _device_birth(
        self, state: _NodeState, device_id: str, message: Payload, received_at: datetime
    ) -> SparkplugOutcome:
        if not state.born:
            return self._before_birth(state, "DBIRTH before its node's NBIRTH", received_at)
        gap = not self._continues(state, message)
        device = state.node.devices[device_id]
        try:
            device_state = _device_state(state.node, device, _declared_metrics(message))
        except PayloadError as error:
            state.devices.pop(device_id, None)
            return SparkplugOutcome(error=str(error), rebirth=self._rebirth(state, received_at))
        state.devices[device_id] = device_state
        outcome = SparkplugOutcome(rebirth=self._rebirth(state, received_at) if gap else None)
        outcome.unmapped = self._newly_unmapped(state.node, device_id, device_state)
        times = MessageTimes(message, received_at, self._bounds)
        try:
            outcome.readings = self._values(device_state, message, times)
            outcome.readings.append(
                Reading(times.at(times.default_ms), device.machine_id, ONLINE_SIGNAL, 1.0)
            )
        except PayloadError as error:
            outcome.readings = []
            outcome.error = str(error)
        return outcome

    def _device_data(
        self, state: _NodeState, device_id: str, message: Payload, received_at: datetime
    ) -> SparkplugOutcome:
        if not state.born:
            return self._before_birth(state, "DDATA before its node's NBIRTH", received_at)
        gap = not self._continues(state, message)
        device_state = state.devices.get(device_id)
        if device_state is None:
            return self._before_birth(state, f"DDATA before DBIRTH of {device_id!r}", received_at)
        outcome = SparkplugOutcome(rebirth=self._rebirth(state, received_at) if gap else None)
        try:
            outcome.readings = self._values(
                device_state, message, MessageTimes(message, received_at, self._bounds)
            )
        except _UndeclaredMetric as error:
            outcome.error = str(error)
            outcome.rebirth = self._rebirth(state, received_at)
        except PayloadError as error:
            outcome.error = str(error)
        return outcome

    def _values(
        self, device_state: _DeviceState, message: Payload, times: MessageTimes
    ) -> list[Reading]:
        machine_id = device_state.device.machine_id
        by_alias = device_state.by_alias
        by_name = device_state.by_name
        readings: list[Reading] = []
        for metric in message.metrics:
            if metric.HasField("alias"):
                channel = by_alias.get(metric.alias)
                label: object = metric.alias
            else:
                label = metric.name
                channel = by_name.get(metric.name)
            if channel is None:
                raise _UndeclaredMetric(f"metric {label!r} was not declared in the DBIRTH")
            signal, datatype = channel
            if signal is None or metric.is_null:
                continue
            value = metric_value(metric, metric.datatype or datatype, signal)
            readings.append(Reading(times.of(metric), machine_id, signal, value))
        return readings

    def _newly_unmapped(
        self, node: EdgeNode, device_id: str, device_state: _DeviceState
    ) -> list[tuple[str, str]]:
        machine_id = device_state.device.machine_id
        device = f"{node.group_id}/{node.edge_node_id}/{device_id}"
        lines = []
        for name, channel in device_state.by_name.items():
            key = (node.group_id, node.edge_node_id, device_id, name)
            if channel.signal is not None or key in self._reported_unmapped:
                continue
            self._reported_unmapped.add(key)
            signal = node.metric_signals.get(name, name)
            line = (
                f"metric {name!r} of Sparkplug device {device} maps to signal {signal!r},"
                f" which machine {machine_id} does not list: its values are dropped (list"
                " the signal under the machine's signals, or map the metric in metric_signals)"
            )
            lines.append((f"{device} {name}", line))
        return lines

    def _device_death(
        self, state: _NodeState, device_id: str, message: Payload, received_at: datetime
    ) -> SparkplugOutcome:
        if state.born:
            self._continues(state, message)
        state.devices.pop(device_id, None)
        machine_id = state.node.devices[device_id].machine_id
        times = MessageTimes(message, received_at, self._bounds)
        try:
            offline = Reading(times.at(times.default_ms), machine_id, ONLINE_SIGNAL, 0.0)
        except PayloadError as error:
            return SparkplugOutcome(error=str(error))
        node = state.node
        detail = f"Sparkplug DDEATH of {node.group_id}/{node.edge_node_id}/{device_id}"
        death = Death((machine_id,), OfflineReason.DEVICE_DEATH, detail)
        return SparkplugOutcome([offline], death=death)

    def _node_death(
        self, state: _NodeState, message: Payload, received_at: datetime
    ) -> SparkplugOutcome:
        node = state.node
        name = f"{node.group_id}/{node.edge_node_id}"
        bd_seq = _bd_seq(message)
        mismatch = None
        if state.bd_seq is not None and bd_seq is not None and bd_seq != state.bd_seq:
            earlier = {state.previous_bd_seq, (state.bd_seq - 1) % 256}
            if bd_seq in earlier or not state.born:
                # The will of an earlier session, delivered late: the node lives on.
                return SparkplugOutcome(
                    bd_seq_mismatch=f"NDEATH of {name} with bdSeq {bd_seq}, an earlier"
                    f" session's (NBIRTH had {state.bd_seq}): ignored"
                )
            mismatch = (
                f"NDEATH of {name} with bdSeq {bd_seq}, not its NBIRTH's {state.bd_seq}:"
                " taken for the death of the current session"
            )
        state.born = False
        state.devices.clear()
        machines = tuple(device.machine_id for device in node.devices.values())
        # The will was composed when the node connected: its timestamp is not the death's.
        return SparkplugOutcome(
            [Reading(received_at, machine_id, ONLINE_SIGNAL, 0.0) for machine_id in machines],
            death=Death(machines, OfflineReason.NODE_DEATH, f"Sparkplug NDEATH of {name}"),
            bd_seq_mismatch=mismatch,
        )

    def _continues(self, state: _NodeState, message: Payload) -> bool:
        """Whether the message's seq follows the last one (or repeats it); records it."""
        if not message.HasField("seq"):
            return False
        previous, state.seq = state.seq, message.seq
        return message.seq in ((previous + 1) % 256, previous)

    def _before_birth(
        self, state: _NodeState, reason: str, received_at: datetime
    ) -> SparkplugOutcome:
        return SparkplugOutcome(
            error=f"{reason}: metrics unknown, rebirth requested",
            rebirth=self._rebirth(state, received_at),
        )

    def _rebirth(self, state: _NodeState, received_at: datetime) -> RebirthRequest | None:
        asked = state.rebirth_asked_at
        if asked is not None and abs(received_at - asked) < self._rebirth_interval:
            return None
        state.rebirth_asked_at = received_at
        node = state.node
        return RebirthRequest(
            command_topic(node.group_id, node.edge_node_id), rebirth_request(received_at)
        )


def _declared_metrics(message: Payload) -> tuple[DeclaredMetric, ...]:
    """The metrics a DBIRTH declares; each must have a name."""
    declared: list[DeclaredMetric] = []
    for metric in message.metrics:
        if not metric.HasField("name"):
            raise PayloadError("a DBIRTH metric has no name")
        alias = metric.alias if metric.HasField("alias") else None
        declared.append(DeclaredMetric(metric_name(metric), alias, metric.datatype))
    return tuple(declared)


def _device_state(
    node: EdgeNode, device: SparkplugDevice, declared: tuple[DeclaredMetric, ...]
) -> _DeviceState:
    """How a device's metrics map to its machine's signals, by alias and by name."""
    device_state = _DeviceState(device, declared)
    for metric in declared:
        signal = node.metric_signals.get(metric.name, metric.name)
        channel = _Channel(signal if signal in device.signals else None, metric.datatype)
        device_state.by_name[metric.name] = channel
        if metric.alias is not None:
            device_state.by_alias[metric.alias] = channel
    return device_state


def _bd_seq(message: Payload) -> int | None:
    for metric in message.metrics:
        if metric.HasField("name") and metric.name == BD_SEQ:
            kind = metric.WhichOneof("value")
            if kind == "long_value":
                return metric.long_value
            if kind == "int_value":
                return metric.int_value
    return None
