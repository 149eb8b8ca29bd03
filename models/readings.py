"""Telemetry samples as they travel from a collector to storage, and as the API reads
them back: the latest value of a signal and trends over a range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum


class Quality(IntEnum):
    """OPC UA style quality of a sample, kept rather than dropped."""

    GOOD = 0
    UNCERTAIN = 1
    BAD = 2


@dataclass(frozen=True, slots=True)
class Reading:
    """One sample of one signal of one machine at its source time."""

    time: datetime
    machine_id: str
    signal: str
    value: float
    quality: Quality = Quality.GOOD


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Input that could not be turned into readings, kept with the reason."""

    received_at: datetime
    source: str
    origin: str
    payload: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class LatestValue:
    """The newest sample of one signal of one machine."""

    machine_id: str
    signal: str
    time: datetime
    value: float
    quality: Quality


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One point of a trend: a raw sample (min = max = value) or a bucket's average."""

    time: datetime
    value: float
    min_value: float
    max_value: float
    samples: int


@dataclass(frozen=True, slots=True)
class Trend:
    """Points of one series; ``bucket`` is None when they are raw samples."""

    bucket: timedelta | None
    points: tuple[TrendPoint, ...]
