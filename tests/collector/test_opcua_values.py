"""OPC UA data values and events into readings and records (pure, no server)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes

from collector.opcua_events import RefusedEvent, event_filter, plc_event_of
from collector.opcua_mapping import EventPlan, MappedSignal
from collector.opcua_values import Rejected, convert_data_changes, quality_of, reading_of
from collector.payload_parsing import TimeBounds
from models.opcua_source import CollectMode
from models.plc_events import PlcEvent
from models.readings import Quality, Reading

AT = datetime(2026, 11, 21, 6, 0, 1, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 21, 6, 0, 5, tzinfo=UTC)
SPEED = MappedSignal(
    machine_id="l1-filler",
    signal="speed",
    address="ns=2;s=line-1.l1-filler.speed",
    by_browse_path=False,
    mode=CollectMode.SUBSCRIBE,
    sampling_interval_ms=500,
    queue_size=1000,
    deadband=None,
)
FAULT_TYPE = ua.NodeId.from_string("ns=2;s=MachineFaultEventType")
EVENTS = EventPlan(
    notifier="i=2253", fault_code_field="2:FaultCode", machine_of_source={"Filler": "l1-filler"}
)


def _value(value: object, status: int = StatusCodes.Good, **times: datetime) -> ua.DataValue:
    variant = ua.Variant(value) if value is not None else ua.Variant()
    return ua.DataValue(Value=variant, StatusCode=ua.StatusCode(ua.UInt32(status)), **times)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "quality"),
    [
        (StatusCodes.Good, Quality.GOOD),
        (StatusCodes.GoodClamped, Quality.GOOD),
        (StatusCodes.UncertainLastUsableValue, Quality.UNCERTAIN),
        (StatusCodes.UncertainSensorNotAccurate, Quality.UNCERTAIN),
        (StatusCodes.BadSensorFailure, Quality.BAD),
        (StatusCodes.BadCommunicationError, Quality.BAD),
    ],
)
def test_status_codes_become_qualities(status: int, quality: Quality) -> None:
    assert quality_of(ua.StatusCode(ua.UInt32(status))) is quality


def test_a_value_keeps_its_source_time_and_quality() -> None:
    reading = reading_of(
        SPEED,
        _value(12.5, StatusCodes.UncertainLastUsableValue, SourceTimestamp=AT),
        RECEIVED,
    )
    assert reading == Reading(AT, "l1-filler", "speed", 12.5, Quality.UNCERTAIN)


def test_without_a_source_time_the_server_time_then_the_arrival_counts() -> None:
    assert isinstance(r := reading_of(SPEED, _value(1, ServerTimestamp=AT), RECEIVED), Reading)
    assert r.time == AT
    assert isinstance(r := reading_of(SPEED, _value(True), RECEIVED), Reading)
    assert (r.time, r.value) == (RECEIVED, 1.0)


def test_a_bad_value_without_a_number_is_kept_as_bad_nan() -> None:
    reading = reading_of(
        SPEED, _value(None, StatusCodes.BadSensorFailure, SourceTimestamp=AT), RECEIVED
    )
    assert isinstance(reading, Reading)
    assert reading.quality is Quality.BAD and math.isnan(reading.value)


def test_a_source_time_far_from_the_arrival_is_refused() -> None:
    bounds = TimeBounds(max_age=timedelta(days=1), max_lead=timedelta(minutes=10))
    arrived = AT + timedelta(seconds=1)
    on_time = reading_of(SPEED, _value(1.0, SourceTimestamp=AT), arrived, bounds)
    clock_ahead = reading_of(
        SPEED, _value(1.0, SourceTimestamp=AT + timedelta(hours=2)), arrived, bounds
    )
    clock_behind = reading_of(
        SPEED, _value(1.0, SourceTimestamp=AT - timedelta(days=3)), arrived, bounds
    )
    assert isinstance(on_time, Reading)
    assert isinstance(clock_ahead, Rejected) and "too far in the future" in clock_ahead.reason
    assert isinstance(clock_behind, Rejected) and "too far in the past" in clock_behind.reason


def test_an_uncertain_value_without_a_number_is_stored_as_bad() -> None:
    reading = reading_of(
        SPEED, _value(None, StatusCodes.UncertainLastUsableValue, SourceTimestamp=AT), RECEIVED
    )
    assert isinstance(reading, Reading)
    assert reading.quality is Quality.BAD and math.isnan(reading.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12.5", "type str is not numeric"),
        (None, "no value with a Good status"),
        (math.nan, "not finite"),
        (math.inf, "not finite"),
    ],
)
def test_values_that_are_no_numbers_are_rejected_with_a_reason(value: object, reason: str) -> None:
    rejected = reading_of(SPEED, _value(value), RECEIVED)
    assert isinstance(rejected, Rejected)
    assert reason in rejected.reason


def test_a_publish_converts_known_handles_and_flags_bad_ones() -> None:
    items = [
        ua.MonitoredItemNotification(ClientHandle=1, Value=_value(3.0, SourceTimestamp=AT)),
        ua.MonitoredItemNotification(ClientHandle=2, Value=_value(4.0, SourceTimestamp=AT)),
        ua.MonitoredItemNotification(
            ClientHandle=1, Value=_value(None, StatusCodes.BadOutOfService, SourceTimestamp=AT)
        ),
        ua.MonitoredItemNotification(ClientHandle=1, Value=_value("x", SourceTimestamp=AT)),
    ]
    converted = convert_data_changes(items, {1: SPEED}, RECEIVED)

    assert [r.value for r in converted.readings][:1] == [3.0]
    assert [r.quality for r in converted.readings] == [Quality.GOOD, Quality.BAD]
    assert converted.bad_handles == [1]
    assert len(converted.rejected) == 1


def _event_fields(
    source_name: str, fault_code: int | None, time: datetime | None = AT
) -> list[ua.Variant]:
    values: list[object] = [
        b"\x01\x02",
        FAULT_TYPE,
        ua.NodeId.from_string("ns=2;i=7"),
        source_name,
        time,
        RECEIVED,
        ua.LocalizedText("filler jammed"),
        700,
        fault_code,
    ]
    assert len(values) == len(event_filter(EVENTS).SelectClauses)
    return [ua.Variant(v) if v is not None else ua.Variant() for v in values]


def test_an_event_becomes_a_plc_event_of_its_machine() -> None:
    names = {FAULT_TYPE: "MachineFaultEventType"}
    event = plc_event_of(_event_fields("Filler", 201), EVENTS, names, RECEIVED)

    assert not isinstance(event, RefusedEvent)
    assert (event.machine_id, event.fault_code, event.severity) == ("l1-filler", 201, 700)
    assert (event.time, event.message, event.event_type) == (
        AT,
        "filler jammed",
        "MachineFaultEventType",
    )
    assert event.source_node == "ns=2;i=7"
    assert event.event_id == b"\x01\x02"
    assert event.raw["SourceName"] == "Filler"


def test_an_event_of_an_unknown_source_is_unmapped() -> None:
    event = plc_event_of(_event_fields("Boiler", None), EVENTS, {}, RECEIVED)
    assert isinstance(event, RefusedEvent)
    assert "Boiler" in event.reason


def test_an_event_timed_far_from_its_arrival_is_refused_like_a_sample() -> None:
    bounds = TimeBounds(max_age=timedelta(days=1), max_lead=timedelta(minutes=10))

    def event_at(time: datetime | None) -> PlcEvent | RefusedEvent:
        return plc_event_of(_event_fields("Filler", 201, time), EVENTS, {}, RECEIVED, bounds)

    on_time = event_at(RECEIVED - timedelta(hours=23))
    clock_ahead = event_at(RECEIVED + timedelta(minutes=11))
    clock_behind = event_at(RECEIVED - timedelta(days=2))
    # Without its own Time the event takes ReceiveTime, which is checked too.
    no_time = event_at(None)

    assert not isinstance(on_time, RefusedEvent)
    assert not isinstance(no_time, RefusedEvent) and no_time.time == RECEIVED
    assert isinstance(clock_ahead, RefusedEvent)
    assert "l1-filler" in clock_ahead.reason and "too far in the future" in clock_ahead.reason
    assert clock_ahead.raw["2:FaultCode"] == "201"
    assert isinstance(clock_behind, RefusedEvent)
    assert "too far in the past" in clock_behind.reason


def test_unbounded_events_keep_any_time() -> None:
    long_ago = RECEIVED - timedelta(days=400)
    event = plc_event_of(_event_fields("Filler", 201, long_ago), EVENTS, {}, RECEIVED)
    assert not isinstance(event, RefusedEvent) and event.time == long_ago
