"""Turning raw MQTT JSON payloads into readings. Pure: no I/O, no clock.

A topic names a machine, and may name one of its signals too (``TopicTarget``).

Accepted shapes when the topic names the machine:
    {"ts": "2026-11-21T06:00:00Z", "values": {"state": 6, "speed": 118.5}}
    {"samples": [{"ts": ..., "values": {...}}, ...]}   or a bare array of samples
Accepted shapes when the topic names the signal too:
    118.5    {"v": 118.5, "ts": "2026-11-21T06:00:00Z"}    [{"v": ..., "ts": ...}, ...]

``ts`` is an ISO 8601 time with a zone, or integer milliseconds since the Unix
epoch. A message holding one sample may leave it out: the sample then takes the
time the message was received. Several samples without times would collide on
one time, so every sample of a batch needs its own.

Anything else raises PayloadError with a reason fit for the dead-letter table,
and a message is taken whole or not at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.readings import Reading

MAX_PAYLOAD_BYTES = 256 * 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PayloadError(ValueError):
    """The payload cannot become readings; the message says why."""


@dataclass(frozen=True, slots=True)
class TopicTarget:
    """The machine a topic belongs to, and the signal when the topic names one."""

    machine_id: str
    signals: frozenset[str]
    signal: str | None = None


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far a sample's own time may lie before or after the time it was received.

    Outside them a timestamp is taken for a broken clock or a wrong unit, and the
    message is refused. ``None`` lifts a bound: a simulated plant that runs ahead
    of the wall clock needs ``max_lead=None``.
    """

    max_age: timedelta | None = timedelta(days=1)
    max_lead: timedelta | None = timedelta(minutes=10)

    def window(self, received_at: datetime) -> tuple[datetime | None, datetime | None]:
        """The earliest and latest acceptable sample time for a message received then."""
        earliest = received_at - self.max_age if self.max_age is not None else None
        latest = received_at + self.max_lead if self.max_lead is not None else None
        return earliest, latest


DEFAULT_BOUNDS = TimeBounds()
# For a simulated or replayed plant, whose clock is not the wall clock.
UNBOUNDED = TimeBounds(max_age=None, max_lead=None)


def check_time(when: datetime, window: tuple[datetime | None, datetime | None]) -> datetime:
    """``when`` itself, or PayloadError when it lies outside the window."""
    earliest, latest = window
    if earliest is not None and when < earliest:
        raise PayloadError(f"timestamp {when.isoformat()} is too far in the past")
    if latest is not None and when > latest:
        raise PayloadError(f"timestamp {when.isoformat()} is too far in the future")
    return when


class _Message:
    """What every sample of one message shares while it is parsed."""

    __slots__ = ("bounds", "received_at", "target", "window")

    def __init__(self, target: TopicTarget, received_at: datetime, bounds: TimeBounds) -> None:
        self.target = target
        self.received_at = received_at
        self.bounds = bounds
        # Computed on the first timestamp: most single-value messages carry none.
        self.window: tuple[datetime | None, datetime | None] | None = None

    def time(self, raw: object, single: bool) -> datetime:
        if raw is None:
            if not single:
                raise PayloadError("every sample of a batch needs its own 'ts'")
            return self.received_at
        if self.window is None:
            self.window = self.bounds.window(self.received_at)
        return check_time(_timestamp(raw), self.window)


def _timestamp(raw: object) -> datetime:
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw)
        except ValueError as error:
            raise PayloadError(f"'ts' is not an ISO 8601 time: {raw[:40]!r}") from error
        if when.tzinfo is None:
            raise PayloadError(f"'ts' has no time zone: {raw[:40]!r}")
        return when
    if isinstance(raw, int) and not isinstance(raw, bool):
        try:
            return _EPOCH + timedelta(milliseconds=raw)
        except OverflowError as error:
            raise PayloadError(f"'ts' of {raw} ms is out of range") from error
    raise PayloadError(
        f"'ts' must be an ISO 8601 string or epoch milliseconds, got {type(raw).__name__}"
    )


def _value(signal: str, raw: object) -> float:
    # bool is an int in Python; a PLC flag sent as true/false is a type error here.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PayloadError(f"value of {signal!r} must be a number, got {type(raw).__name__}")
    try:
        value = float(raw)
    except OverflowError as error:
        raise PayloadError(f"value of {signal!r} is out of range") from error
    if not math.isfinite(value):
        raise PayloadError(f"value of {signal!r} is not finite")
    return value


def _machine_sample(message: _Message, sample: object, single: bool) -> list[Reading]:
    if not isinstance(sample, Mapping):
        raise PayloadError("a sample must be a JSON object with 'values' and 'ts'")
    when = message.time(sample.get("ts"), single)
    values = sample.get("values")
    if not isinstance(values, Mapping) or not values:
        raise PayloadError("'values' must be a non-empty JSON object")
    target = message.target
    unknown = sorted(str(name) for name in values if name not in target.signals)
    if unknown:
        raise PayloadError(f"unknown signals for {target.machine_id}: {', '.join(unknown)}")
    return [
        Reading(when, target.machine_id, name, _value(name, raw)) for name, raw in values.items()
    ]


def _signal_sample(message: _Message, signal: str, sample: object, single: bool) -> Reading:
    if isinstance(sample, Mapping):
        if "v" not in sample:
            raise PayloadError("a sample object must hold its value in 'v'")
        when = message.time(sample.get("ts"), single)
        return Reading(when, message.target.machine_id, signal, _value(signal, sample["v"]))
    return Reading(
        message.time(None, single), message.target.machine_id, signal, _value(signal, sample)
    )


def _samples(document: object) -> tuple[list[object], bool]:
    """The samples of a document, and whether it is a single one."""
    if isinstance(document, list):
        if not document:
            raise PayloadError("an array of samples must not be empty")
        return document, len(document) == 1
    if isinstance(document, Mapping) and "samples" in document:
        samples = document["samples"]
        if not isinstance(samples, list) or not samples:
            raise PayloadError("'samples' must be a non-empty array")
        return samples, len(samples) == 1
    return [document], True


def parse_json_payload(
    target: TopicTarget,
    payload: bytes,
    *,
    received_at: datetime,
    bounds: TimeBounds = DEFAULT_BOUNDS,
) -> list[Reading]:
    """All readings in one message, or PayloadError; never a partial result.

    ``received_at`` is when the message arrived: the time of a sample without its
    own, and the reference for ``bounds``.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        document = json.loads(payload)
    except ValueError as error:
        # JSONDecodeError, UnicodeDecodeError, and integers too long to convert.
        raise PayloadError(f"malformed JSON: {error}") from error
    except RecursionError as error:
        raise PayloadError("malformed JSON: nested too deeply") from error
    message = _Message(target, received_at, bounds)
    samples, single = _samples(document)
    signal = target.signal
    if signal is not None:
        return [_signal_sample(message, signal, sample, single) for sample in samples]
    if not isinstance(document, list | Mapping):
        raise PayloadError("payload must be a JSON object or an array of samples")
    readings: list[Reading] = []
    for sample in samples:
        readings.extend(_machine_sample(message, sample, single))
    return readings
