"""How well alerts match labels: point-wise F1/FAR/MAR and the NAB change-point score. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class PointCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: PointCounts) -> PointCounts:
        return PointCounts(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def f1(self) -> float:
        denominator = self.tp + (self.fp + self.fn) / 2
        return self.tp / denominator if denominator else 0.0

    @property
    def far(self) -> float:
        """False-alarm rate: the share of normal rows flagged."""
        normal = self.fp + self.tn
        return self.fp / normal if normal else 0.0

    @property
    def mar(self) -> float:
        """Missed-alarm rate: the share of anomalous rows not flagged."""
        anomalous = self.fn + self.tp
        return self.fn / anomalous if anomalous else 0.0


def point_counts(predicted: npt.NDArray[np.bool_], labels: npt.NDArray[np.bool_]) -> PointCounts:
    return PointCounts(
        tp=int(np.sum(predicted & labels)),
        fp=int(np.sum(predicted & ~labels)),
        fn=int(np.sum(~predicted & labels)),
        tn=int(np.sum(~predicted & ~labels)),
    )


@dataclass(frozen=True, slots=True)
class NabProfile:
    true_positive: float = 1.0
    false_positive: float = -0.11
    false_negative: float = -1.0


NAB_STANDARD = NabProfile()


@dataclass(frozen=True, slots=True)
class NabTally:
    """Raw NAB sums of one history: the detector's, a perfect one's and a silent one's."""

    score: float = 0.0
    perfect: float = 0.0
    null: float = 0.0

    def __add__(self, other: NabTally) -> NabTally:
        return NabTally(
            self.score + other.score, self.perfect + other.perfect, self.null + other.null
        )

    def normalised(self) -> float:
        """100 for a perfect detector, 0 for one that never fires."""
        span = self.perfect - self.null
        return 100.0 * (self.score - self.null) / span if span else 0.0


def _early_credit(position: float, profile: NabProfile) -> float:
    """NAB's scaled sigmoid: near A_tp at a window's start, A_fp at its end."""
    relative = position - 1.0  # -1 at the window's start, 0 at its end
    sigmoid = 2.0 / (1.0 + math.exp(5.0 * relative)) - 1.0
    return profile.false_positive + (profile.true_positive - profile.false_positive) * (
        sigmoid / (2.0 / (1.0 + math.exp(-5.0)) - 1.0)
    )


def nab_tally(
    detections: Sequence[datetime],
    changepoints: Sequence[datetime],
    *,
    window: timedelta,
    profile: NabProfile = NAB_STANDARD,
) -> NabTally:
    """Score detections against windows ``[changepoint, changepoint + window]``."""
    windows = [(c, c + window) for c in sorted(changepoints)]
    credited: set[int] = set()
    score = 0.0
    for detection in sorted(detections):
        inside = next(
            (i for i, (start, end) in enumerate(windows) if start <= detection <= end), None
        )
        if inside is None:
            score += profile.false_positive
        elif inside not in credited:
            start, end = windows[inside]
            position = (detection - start) / (end - start) if end > start else 0.0
            score += _early_credit(position, profile)
            credited.add(inside)
    score += profile.false_negative * (len(windows) - len(credited))
    return NabTally(
        score=score,
        perfect=profile.true_positive * len(windows),
        null=profile.false_negative * len(windows),
    )
