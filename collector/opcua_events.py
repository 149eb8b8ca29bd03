"""PLC alarms and fault codes as OPC UA events: the event filter, and events into records.

Pure. The filter selects the BaseEventType fields every server fills, plus the
configured field that carries the PLC's fault code (absent on servers that do not
send one). An event is attributed to a machine by its SourceName or SourceNode;
one from an unknown source cannot be, and is returned as a reason instead. So is
one timed outside the bounds that samples keep (``TimeBounds``): a PLC clock set
wrong would otherwise file the alarm days away from the fault it reports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asyncua import ua
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds

from collector.opcua_mapping import EventPlan
from collector.payload_parsing import UNBOUNDED, PayloadError, TimeBounds, check_time
from models.plc_events import PlcEvent

_BASE_FIELDS = (
    "EventId",
    "EventType",
    "SourceNode",
    "SourceName",
    "Time",
    "ReceiveTime",
    "Message",
    "Severity",
)
_FAULT_CODE = len(_BASE_FIELDS)


def event_filter(plan: EventPlan) -> ua.EventFilter:
    """Select the base fields and the fault code field, for events of every type."""
    paths = [[ua.QualifiedName(name, 0)] for name in _BASE_FIELDS]
    paths.append([ua.QualifiedName.from_string(plan.fault_code_field)])
    clauses = []
    for path in paths:
        operand = ua.SimpleAttributeOperand()
        operand.TypeDefinitionId = ua.NodeId(ua.Int32(ObjectIds.BaseEventType))
        operand.BrowsePath = path
        operand.AttributeId = AttributeIds.Value
        clauses.append(operand)
    event_filter = ua.EventFilter()
    event_filter.SelectClauses = clauses
    return event_filter


@dataclass(frozen=True, slots=True)
class RefusedEvent:
    """An event that cannot be stored (no machine of the plant file, or a time out of
    bounds), with its fields for the dead-letter record."""

    reason: str
    raw: Mapping[str, str]


def event_type_id(fields: Sequence[ua.Variant]) -> ua.NodeId | None:
    value = _value(fields, 1)
    return value if isinstance(value, ua.NodeId) else None


def plc_event_of(
    fields: Sequence[ua.Variant],
    plan: EventPlan,
    type_names: Mapping[ua.NodeId, str],
    received_at: datetime,
    bounds: TimeBounds = UNBOUNDED,
) -> PlcEvent | RefusedEvent:
    """The record of one event; ``type_names`` names the event types seen so far.

    The event's time must lie within ``bounds`` around ``received_at``, as a sample's must.
    """
    raw = _raw(fields, plan)
    source_node = _value(fields, 2)
    source_name = _value(fields, 3)
    source_key = source_node.to_string() if isinstance(source_node, ua.NodeId) else ""
    machine_id = plan.machine_of_source.get(str(source_name or "")) or plan.machine_of_source.get(
        source_key
    )
    if machine_id is None:
        return RefusedEvent(
            f"no machine is mapped to event source {source_name!r} ({source_key})", raw
        )
    when = _time(fields, received_at)
    try:
        check_time(when, bounds.window(received_at))
    except PayloadError as error:
        return RefusedEvent(f"event of {machine_id}: {error}", raw)
    type_id = event_type_id(fields)
    event_id = _value(fields, 0)
    return PlcEvent(
        time=when,
        machine_id=machine_id,
        source_node=source_key,
        event_type=type_names.get(type_id, type_id.to_string()) if type_id else "",
        severity=_integer(_value(fields, 7)) or 0,
        fault_code=_integer(_value(fields, _FAULT_CODE)),
        message=_text(_value(fields, 6)),
        # Without an EventId, the fields themselves identify a redelivered event.
        event_id=event_id if isinstance(event_id, bytes) else _digest(raw),
        raw=raw,
    )


def _time(fields: Sequence[ua.Variant], received_at: datetime) -> datetime:
    for index in (4, 5):  # Time, else ReceiveTime
        value = _value(fields, index)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return received_at


def _integer(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _digest(raw: Mapping[str, str]) -> bytes:
    return hashlib.sha256(repr(sorted(raw.items())).encode()).digest()


def _value(fields: Sequence[ua.Variant], index: int) -> object:
    if index >= len(fields):
        return None
    return fields[index].Value


def _raw(fields: Sequence[ua.Variant], plan: EventPlan) -> dict[str, str]:
    names = (*_BASE_FIELDS, plan.fault_code_field)
    raw = {}
    for name, field in zip(names, fields, strict=False):
        value = field.Value
        if value is None:
            continue
        raw[name] = value.hex() if isinstance(value, bytes) else _text(value)
    return raw


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, ua.NodeId):
        return value.to_string()
    if isinstance(value, ua.LocalizedText):
        return value.Text or ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
