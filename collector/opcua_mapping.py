"""Which OPC UA nodes one endpoint serves, for which machine and signal, and how to watch them.

Pure: built once from the plant file's lines, before any connection. Lines that
share an endpoint share one session and one subscription, so they must agree on
security and events; mistakes in the ``nodes`` mapping fail here, at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asyncua import ua
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError

from models.opcua_source import (
    CollectMode,
    Deadband,
    DeadbandKind,
    OpcUaEvents,
    OpcUaSecurity,
    OpcUaSource,
    SignalNode,
)
from models.plant import Line, SignalKind

# Thinning out these would falsify OEE (states, counts) or hide faults.
_DEADBAND_KINDS = frozenset({SignalKind.PROCESS, SignalKind.CONDITION})


@dataclass(frozen=True, slots=True)
class MappedSignal:
    """One signal of one machine, where it lives on the server and how it is collected."""

    machine_id: str
    signal: str
    # A NodeId string (``ns=2;s=...``) or a browse path from Objects (``/2:A/2:B``).
    address: str
    by_browse_path: bool
    mode: CollectMode
    sampling_interval_ms: float
    queue_size: int
    deadband: Deadband | None


@dataclass(frozen=True, slots=True)
class EventPlan:
    notifier: str
    fault_code_field: str
    # SourceName or SourceNode string -> machine id.
    machine_of_source: dict[str, str]
    # Event types (NodeIds) collected with their subtypes; empty: every type.
    types: tuple[ua.NodeId, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointPlan:
    """Everything one subscriber does on one server."""

    endpoint: str
    signals: tuple[MappedSignal, ...]
    publishing_interval_ms: float
    poll_interval_ms: float
    security: OpcUaSecurity
    events: EventPlan | None


def endpoint_plan(endpoint: str, lines: Sequence[Line]) -> EndpointPlan:
    """The collection plan for ``lines``, all served on ``endpoint``."""
    sources = [_opcua_source(line) for line in lines]
    if not sources:
        raise ValueError(f"no OPC UA line is served on {endpoint}")
    securities = {source.security for source in sources}
    if len(securities) > 1:
        raise ValueError(
            f"lines on {endpoint} disagree on security: {sorted(map(str, securities))}"
        )
    signals = tuple(
        signal
        for line, source in zip(lines, sources, strict=True)
        for signal in _signals(line, source)
    )
    return EndpointPlan(
        endpoint=endpoint,
        signals=signals,
        publishing_interval_ms=min(source.publishing_interval_ms for source in sources),
        poll_interval_ms=min(source.poll_interval_ms for source in sources),
        security=sources[0].security,
        events=_event_plan(endpoint, lines, [source.events for source in sources]),
    )


def _opcua_source(line: Line) -> OpcUaSource:
    if not isinstance(line.source, OpcUaSource):
        raise ValueError(f"line {line.id} is not an OPC UA line")
    return line.source


def _signals(line: Line, source: OpcUaSource) -> list[MappedSignal]:
    _check_overrides(line, source)
    _check_deadbands(line, source)
    mapped = []
    for machine in line.machines:
        overrides = source.nodes.get(machine.id, {})
        for spec in machine.signals:
            node = overrides.get(spec.name, SignalNode())
            line_deadband = source.deadband if spec.kind in _DEADBAND_KINDS else None
            address = (
                node.browse_path
                or node.node_id
                or source.node_template.format(line=line.id, machine=machine.id, signal=spec.name)
            )
            mapped.append(
                MappedSignal(
                    machine_id=machine.id,
                    signal=spec.name,
                    address=address,
                    by_browse_path=node.browse_path is not None,
                    mode=node.mode or source.mode,
                    sampling_interval_ms=(
                        node.sampling_interval_ms
                        if node.sampling_interval_ms is not None
                        else source.sampling_interval_ms
                    ),
                    queue_size=node.queue_size or source.queue_size,
                    deadband=node.deadband or line_deadband,
                )
            )
    return mapped


def _check_deadbands(line: Line, source: OpcUaSource) -> None:
    # OPC UA defines a percent deadband from 0 to 100 % of the EURange; a server
    # refuses more, and the node would end up polled without any deadband.
    deadbands = [
        source.deadband,
        *(n.deadband for ns in source.nodes.values() for n in ns.values()),
    ]
    for deadband in deadbands:
        if deadband is not None and deadband.kind is DeadbandKind.PERCENT and deadband.value > 100:
            raise ValueError(f"line {line.id}: a percent deadband of {deadband.value} exceeds 100")


def _check_overrides(line: Line, source: OpcUaSource) -> None:
    signals_of = {machine.id: {s.name for s in machine.signals} for machine in line.machines}
    for machine_id, nodes in source.nodes.items():
        if machine_id not in signals_of:
            raise ValueError(f"line {line.id}: nodes name machine {machine_id!r}, not on this line")
        unknown = set(nodes) - signals_of[machine_id]
        if unknown:
            raise ValueError(
                f"line {line.id}: machine {machine_id} has no signal(s) {sorted(unknown)}"
            )


def _event_plan(
    endpoint: str, lines: Sequence[Line], settings: Sequence[OpcUaEvents]
) -> EventPlan | None:
    enabled = [events for events in settings if events.enabled]
    if not enabled:
        return None
    if len({(e.notifier, e.fault_code_field) for e in enabled}) > 1:
        raise ValueError(f"lines on {endpoint} disagree on the event notifier or fault code field")
    _check_event_fields(endpoint, enabled[0])
    machine_ids = {machine.id for line in lines for machine in line.machines}
    machine_of_source = {machine_id: machine_id for machine_id in machine_ids}
    for events in enabled:
        unknown = set(events.sources.values()) - machine_ids
        if unknown:
            raise ValueError(f"event sources on {endpoint} name unknown machines {sorted(unknown)}")
        machine_of_source.update(events.sources)
    # A line that takes every type makes the server send every type.
    every_type = any(not events.types for events in enabled)
    names = sorted({name for events in enabled for name in events.types})
    return EventPlan(
        notifier=enabled[0].notifier,
        fault_code_field=enabled[0].fault_code_field,
        machine_of_source=machine_of_source,
        types=() if every_type else tuple(_event_type_id(endpoint, name) for name in names),
    )


def _event_type_id(endpoint: str, name: str) -> ua.NodeId:
    """A NodeId as written, or the standard type of that name (namespace 0)."""
    standard = getattr(ObjectIds, name, None)
    if isinstance(standard, int):
        return ua.NodeId(ua.Int32(standard), ua.Int16(0))
    try:
        return ua.NodeId.from_string(name)
    except (ValueError, UaError) as error:
        raise ValueError(
            f"events on {endpoint}: {name!r} is neither a NodeId nor a standard event type"
        ) from error


def _check_event_fields(endpoint: str, events: OpcUaEvents) -> None:
    try:
        ua.NodeId.from_string(events.notifier)
        ua.QualifiedName.from_string(events.fault_code_field)
    except (ValueError, UaError) as error:
        raise ValueError(f"events on {endpoint}: {error}") from error
