"""Alerts raised by rules over analytics results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.plant import Severity


class AlertStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    machine_id: str
    rule: str
    severity: Severity
    status: AlertStatus
    opened_at: datetime
    last_seen_at: datetime
    peak_score: float
    signals: tuple[str, ...]
    message: str
    ticket_id: int | None
    # When the rule fired; ``opened_at`` is when the evidence behind it began.
    raised_at: datetime
