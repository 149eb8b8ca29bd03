"""The JSON payload parser: every shape it accepts, and a clear reason for all it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.payload_parsing import (
    MAX_PAYLOAD_BYTES,
    PayloadError,
    TimeBounds,
    TopicTarget,
    parse_json_payload,
)
from models.readings import Reading

SIGNALS = frozenset({"state", "speed", "good_count"})
TARGET = TopicTarget("l3-packer", SIGNALS)
SPEED = TopicTarget("l3-packer", SIGNALS, "speed")
NOW = datetime(2026, 11, 21, 6, 0, 30, tzinfo=UTC)
AT = datetime(2026, 11, 21, 6, tzinfo=UTC)


def _parse(
    payload: bytes, target: TopicTarget = TARGET, **bounds: timedelta | None
) -> list[Reading]:
    return parse_json_payload(target, payload, received_at=NOW, bounds=TimeBounds(**bounds))


def test_single_timestamp_payload() -> None:
    readings = _parse(b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": 6, "speed": 118.5}}')
    assert [(r.signal, r.value) for r in readings] == [("state", 6.0), ("speed", 118.5)]
    assert {r.time for r in readings} == {AT}
    assert {r.machine_id for r in readings} == {"l3-packer"}


def test_batched_samples_keep_their_own_times() -> None:
    payload = json.dumps(
        {
            "samples": [
                {"ts": "2026-11-21T06:00:00+00:00", "values": {"state": 5}},
                {"ts": "2026-11-21T06:00:07+00:00", "values": {"state": 6}},
            ]
        }
    ).encode()
    readings = _parse(payload)
    assert [(r.time.second, r.value) for r in readings] == [(0, 5.0), (7, 6.0)]


def test_a_bare_array_of_samples_and_epoch_milliseconds() -> None:
    at_ms = int(AT.timestamp() * 1000)
    payload = json.dumps(
        [{"ts": at_ms, "values": {"state": 5}}, {"ts": at_ms + 250, "values": {"state": 6}}]
    ).encode()
    assert [r.time for r in _parse(payload)] == [AT, AT + timedelta(milliseconds=250)]


def test_a_single_sample_without_time_takes_the_receive_time() -> None:
    assert [r.time for r in _parse(b'{"values": {"state": 6}}')] == [NOW]
    assert [r.time for r in _parse(b"118.5", SPEED)] == [NOW]
    assert [r.time for r in _parse(b'[{"v": 2}]', SPEED)] == [NOW]


def test_signal_topics_take_bare_numbers_objects_and_arrays() -> None:
    assert [(r.signal, r.value) for r in _parse(b"118.5", SPEED)] == [("speed", 118.5)]
    readings = _parse(b'{"v": 7, "ts": "2026-11-21T06:00:00Z"}', SPEED)
    assert [(r.time, r.value) for r in readings] == [(AT, 7.0)]
    readings = _parse(
        b'[{"v": 1, "ts": "2026-11-21T06:00:00Z"}, {"v": 2, "ts": "2026-11-21T06:00:01Z"}]', SPEED
    )
    assert [(r.time.second, r.value) for r in readings] == [(0, 1.0), (1, 2.0)]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"6", "must be a JSON object or an array"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": "run"}}', "must be a number"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": true}}', "must be a number"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": NaN}}', "not finite"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": Infinity}}', "not finite"),
        (b'{"ts": "2026-11-21T06:00:00", "values": {"state": 6}}', "no time zone"),
        (b'{"ts": "yesterday", "values": {"state": 6}}', "not an ISO 8601"),
        (b'{"ts": 1.5, "values": {"state": 6}}', "ISO 8601 string or epoch milliseconds"),
        (b'{"ts": 1700000000, "values": {"state": 6}}', "too far in the past"),
        (b'{"ts": 99999999999999999999, "values": {"state": 6}}', "out of range"),
        (b'{"ts": "2026-11-21T06:11:00Z", "values": {"state": 6}}', "too far in the future"),
        (b'{"ts": "2026-11-19T06:00:00Z", "values": {"state": 6}}', "too far in the past"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {}}', "non-empty JSON object"),
        (b'{"ts": "2026-11-21T06:00:00Z", "values": {"torque": 1}}', "unknown signals"),
        (b'{"samples": []}', "non-empty array"),
        (b"[]", "must not be empty"),
        (b'[{"values": {"state": 1}}, {"values": {"state": 2}}]', "needs its own 'ts'"),
        (
            b'{"ts": "2026-11-21T06:00:00Z", "values": {"state": 1' + b"0" * 400 + b"}}",
            "out of range",
        ),
        (b"[" * 100_000, "malformed JSON"),
    ],
)
def test_refusals_name_the_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        _parse(payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'"fast"', "must be a number"),
        (b"null", "must be a number"),
        (b'{"value": 1}', "in 'v'"),
        (b"[1, 2]", "needs its own 'ts'"),
        (b'{"v": 1, "ts": "2026-11-22T06:00:00Z"}', "too far in the future"),
    ],
)
def test_signal_topic_refusals_name_the_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        _parse(payload, SPEED)


def test_bounds_can_be_lifted_for_a_plant_running_ahead_of_the_clock() -> None:
    payload = b'{"ts": "2027-01-01T00:00:00Z", "values": {"state": 6}}'
    with pytest.raises(PayloadError, match="future"):
        _parse(payload)
    assert len(_parse(payload, max_lead=None)) == 1


def test_oversized_payload_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadError, match="exceeds"):
        _parse(b" " * (MAX_PAYLOAD_BYTES + 1))


@settings(deadline=None)
@given(st.binary(max_size=512), st.booleans())
def test_arbitrary_bytes_give_readings_or_a_payload_error(payload: bytes, by_signal: bool) -> None:
    try:
        readings = _parse(payload, SPEED if by_signal else TARGET)
    except PayloadError as error:
        assert str(error)
    else:
        assert all(r.machine_id == "l3-packer" for r in readings)


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(["ts", "values", "samples", "v", "state", "speed"])


@settings(deadline=None)
@given(
    st.recursive(
        _JSON,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
        max_leaves=10,
    ),
    st.booleans(),
)
def test_any_json_document_gives_readings_or_a_payload_error(
    document: object, by_signal: bool
) -> None:
    payload = json.dumps(document).encode()
    try:
        readings = _parse(payload, SPEED if by_signal else TARGET)
    except PayloadError as error:
        assert str(error)
    else:
        assert readings
        assert all(r.value == r.value and r.signal in SIGNALS for r in readings)


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["state", "speed", "good_count"]),
        st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=3),
        min_size=1,
    )
)
def test_values_of_any_type_never_escape_as_other_errors(values: dict[str, object]) -> None:
    payload = json.dumps({"ts": "2026-11-21T06:00:00Z", "values": values}).encode()
    try:
        readings = _parse(payload)
    except PayloadError:
        return
    assert len(readings) == len(values)
    assert all(r.value == r.value for r in readings)  # no NaN slipped through


_SAMPLE_TIMES = st.lists(
    st.integers(min_value=0, max_value=86_400_000), min_size=1, max_size=20, unique=True
)
_VALUES = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(deadline=None)
@given(_SAMPLE_TIMES, st.data())
def test_generated_batches_round_trip(offsets_ms: list[int], data: st.DataObject) -> None:
    start = NOW - timedelta(days=1)
    samples = [
        (
            start + timedelta(milliseconds=offset),
            data.draw(st.dictionaries(st.sampled_from(sorted(SIGNALS)), _VALUES, min_size=1)),
        )
        for offset in offsets_ms
    ]
    payload = json.dumps(
        {"samples": [{"ts": at.isoformat(), "values": values} for at, values in samples]}
    ).encode()
    expected = [
        Reading(at, "l3-packer", signal, value)
        for at, values in samples
        for signal, value in values.items()
    ]
    assert _parse(payload) == expected
