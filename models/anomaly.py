"""Anomaly scores of machines and the signals that drove them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

# Scores are on 0..1: the calibrated alarm threshold sits at one half.
SCORE_THRESHOLD = 0.5


class SignalContribution(NamedTuple):
    """One signal's part in a score (a named tuple: scores carry many, built fast).

    ``deviation`` is its smoothed deviation from normal, in units of its own
    normal spread, signed (positive: above normal). ``contribution`` is its
    share of the score; the contributions of a score add up to it (a signal
    that runs against the others' correlation can give a negative share).
    """

    signal: str
    deviation: float
    contribution: float = 0.0


@dataclass(frozen=True, slots=True)
class AnomalyScore:
    """How unusual a machine's condition signals were at one observation.

    ``score`` is on 0..1: ``d / (d + limit)`` of the squared distance ``d``
    from normal and the machine's calibrated limit, so 0 is exactly normal,
    ``SCORE_THRESHOLD`` (0.5) is the calibrated alarm threshold and scores
    approach 1 as the deviation grows. ``contributions`` lists the signals
    that drove it, largest share first.
    """

    time: datetime
    machine_id: str
    score: float
    contributions: tuple[SignalContribution, ...]
    model_version: int | None = None
