"""PLC alarm and fault-code events, as the OPC UA collector receives them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PlcEvent:
    """One alarm or fault event of one machine, at the time the PLC stamped it."""

    time: datetime
    machine_id: str
    # NodeId of the object that raised the event (the OPC UA SourceNode).
    source_node: str
    # Browse name of the event type, e.g. ``AlarmConditionType``.
    event_type: str
    # OPC UA severity, 1 (lowest) to 1000 (highest).
    severity: int
    fault_code: int | None
    message: str
    # The server's EventId; unique per event occurrence.
    event_id: bytes
    # Every selected event field, as text, for diagnosis.
    raw: Mapping[str, str]
