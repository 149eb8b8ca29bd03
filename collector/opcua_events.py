"""PLC alarms and fault codes as OPC UA events: the event filter, and events into records.

Pure, but for ``event_subtypes``, which browses the server's type tree. The filter
selects the BaseEventType fields every server fills, plus the
configured field that carries the PLC's fault code (absent on servers that do not
send one). An event is attributed to a machine by its SourceName or SourceNode;
one from an unknown source cannot be, and is returned as a reason instead. So is
one timed outside the bounds that samples keep (``TimeBounds``): a PLC clock set
wrong would otherwise file the alarm days away from the fault it reports.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.ua_utils import get_node_subtypes
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError

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

log = logging.getLogger(__name__)


def event_filter(plan: EventPlan, types: Collection[ua.NodeId] | None = None) -> ua.EventFilter:
    """Select the base fields and the fault code field, for events of ``types`` (every
    type when None)."""
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
    if types:
        event_filter.WhereClause = _of_types(types)
    return event_filter


def _of_types(types: Collection[ua.NodeId]) -> ua.ContentFilter:
    """EventType InList (types...): the where clause servers support most widely."""
    operand = ua.SimpleAttributeOperand()
    operand.TypeDefinitionId = ua.NodeId(ua.Int32(ObjectIds.BaseEventType))
    operand.BrowsePath = [ua.QualifiedName("EventType", 0)]
    operand.AttributeId = AttributeIds.Value
    element = ua.ContentFilterElement()
    element.FilterOperator = ua.FilterOperator.InList
    element.FilterOperands = [
        operand,
        *(ua.LiteralOperand(Value=ua.Variant(type_id)) for type_id in sorted(types, key=str)),
    ]
    where = ua.ContentFilter()
    where.Elements = [element]
    return where


async def event_subtypes(client: Client, types: Sequence[ua.NodeId]) -> frozenset[ua.NodeId]:
    """``types`` and every subtype of them the server declares (browsed once)."""
    found = set(types)
    for type_id in types:
        try:
            subtypes = await get_node_subtypes(client.get_node(type_id))
        except UaError as error:
            log.warning("event type %s not browsable, taken alone: %s", type_id, error)
            continue
        found.update(node.nodeid for node in subtypes)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class RefusedEvent:
    """An event that cannot be stored (no machine of the plant file, or a time out of
    bounds), with its fields for the dead-letter record."""

    reason: str
    raw: Mapping[str, str]
    # The source, when the event was refused for want of a machine mapped to it.
    unmapped_source: str | None = None


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
            f"no machine is mapped to event source {source_name!r} ({source_key})",
            raw,
            unmapped_source=f"{source_name or ''} ({source_key})",
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
