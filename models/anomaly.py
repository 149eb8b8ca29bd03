"""Anomaly scores of machines and the signals that drove them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SignalContribution:
    signal: str
    deviation: float


@dataclass(frozen=True, slots=True)
class AnomalyScore:
    """How unusual a machine's condition signals were over one window.

    ``score`` is 0 for normal behaviour and grows with the deviation from the
    machine's own baseline; ``contributions`` lists the signals that drove it,
    largest first.
    """

    time: datetime
    machine_id: str
    score: float
    contributions: tuple[SignalContribution, ...]
