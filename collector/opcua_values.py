"""Pure conversion of OPC UA data values into readings.

This is the hot path of the OPC UA collector (tens of thousands of values per
second), so it avoids per-value allocations beyond the ``Reading`` itself and
never logs. A value keeps its source timestamp (the server's if the source gave
none) and its status as the reading's quality. A Bad value carries no number by
the OPC UA rules; it is stored as NaN with quality BAD rather than dropped. A
value that is not a number cannot become a reading and is returned as rejected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asyncua import ua

from collector.opcua_mapping import MappedSignal
from collector.payload_parsing import UNBOUNDED, PayloadError, TimeBounds, check_time
from models.readings import Quality, Reading

# The two top bits of a StatusCode: 00 Good, 01 Uncertain, 10 Bad (11 is reserved).
_QUALITY_OF_SEVERITY = (Quality.GOOD, Quality.UNCERTAIN, Quality.BAD, Quality.BAD)


def quality_of(status: ua.StatusCode | None) -> Quality:
    """Good / Uncertain / Bad from an OPC UA status code (no status means Good)."""
    if status is None:
        return Quality.GOOD
    return _QUALITY_OF_SEVERITY[status.value >> 30]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A value that could not become a reading, and why."""

    signal: MappedSignal
    reason: str
    raw: str


@dataclass(slots=True)
class ConvertedValues:
    readings: list[Reading] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # Client handles whose value arrived with a Bad status.
    bad_handles: list[int] = field(default_factory=list)


def convert_data_changes(
    items: Iterable[ua.MonitoredItemNotification],
    signals: Mapping[int, MappedSignal],
    received_at: datetime,
    bounds: TimeBounds = UNBOUNDED,
) -> ConvertedValues:
    """Readings from one publish's data changes; ``signals`` maps client handles.

    Notifications for handles no longer in ``signals`` (an item removed a moment
    ago) are skipped: the item's replacement delivers the value again.
    """
    converted = ConvertedValues()
    readings = converted.readings
    for item in items:
        signal = signals.get(item.ClientHandle)
        if signal is None:
            continue
        result = reading_of(signal, item.Value, received_at, bounds)
        if isinstance(result, Reading):
            readings.append(result)
            if result.quality is Quality.BAD:
                converted.bad_handles.append(item.ClientHandle)
        else:
            converted.rejected.append(result)
    return converted


def reading_of(
    signal: MappedSignal,
    data_value: ua.DataValue | None,
    received_at: datetime,
    bounds: TimeBounds = UNBOUNDED,
) -> Reading | Rejected:
    """One data value of ``signal`` as a reading, or why it cannot be one.

    A source time outside ``bounds`` around the arrival (a PLC clock set wrong)
    is refused: stored, it would move the plant's "now" for every line.
    """
    if data_value is None:
        return Rejected(signal, "the server sent a notification without a value", "")
    quality = quality_of(data_value.StatusCode)
    variant = data_value.Value
    value = variant.Value if variant is not None else None
    number: float
    if type(value) is float:
        if not math.isfinite(value):
            # NaN is reserved for "no value" (Bad); an infinite or NaN reading
            # would poison every sum the analytics take over it.
            return Rejected(signal, "the value is not finite", repr(data_value))
        number = value
    elif isinstance(value, int):
        # bool and the unsigned/signed integer aliases of asyncua are ints.
        number = float(value)
    elif value is None and quality is not Quality.GOOD:
        # No value at all is unusable however the server grades it.
        number, quality = math.nan, Quality.BAD
    else:
        return Rejected(signal, _not_numeric(value), repr(data_value))
    when = data_value.SourceTimestamp or data_value.ServerTimestamp or received_at
    if when.tzinfo is None:
        # OPC UA times are UTC by definition.
        when = when.replace(tzinfo=UTC)
    try:
        check_time(when, bounds.window(received_at))
    except PayloadError as error:
        return Rejected(signal, str(error), repr(data_value))
    return Reading(when, signal.machine_id, signal.signal, number, quality)


def _not_numeric(value: object) -> str:
    if value is None:
        return "the server sent no value with a Good status"
    return f"a value of type {type(value).__name__} is not numeric"
