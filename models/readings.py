"""Telemetry samples as they travel from a collector to storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
