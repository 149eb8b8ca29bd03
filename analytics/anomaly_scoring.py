"""How far a machine's condition has moved from its normal, window by window.

For each signal of a window, the deviation is how many robust sigmas of the
baseline the window's average lies from the baseline center:
``z = (mean - center) / scale``. The score is the length of the vector of the
upward deviations, ``sqrt(sum(max(z, 0)**2))``.

Why this shape:

- Averaging over a window (5 minutes by default) removes sample noise: a
  healthy machine's window averages sit well inside one sigma, so its scores
  stay around 0-1.
- Only upward deviations count. The wear we watch for (bearings, imbalance,
  friction) pushes vibration, bearing temperature and motor current up; a
  machine still cool after a stop reads below normal and must not alarm.
- One signal 3 sigma high scores 3; three signals each 2 sigma high score 3.5,
  so agreeing signals reinforce each other.

Threshold meaning: ``ALERT_THRESHOLD`` (3) means the window's averages sit
jointly 3 sigma above normal. Noise does not do that to a 5-minute average;
a drifting bearing does. Alert on a sustained run of windows at or above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.anomaly_baseline import MachineBaseline
from models.anomaly import AnomalyScore, SignalContribution
from models.telemetry_series import ConditionWindow

ALERT_THRESHOLD = 3.0
# Windows are aligned to this instant; the storage reader buckets with the same origin.
WINDOW_ORIGIN = datetime(1970, 1, 1, tzinfo=UTC)


def window_floor(when: datetime, width: timedelta) -> datetime:
    """The start of the scoring window that contains ``when``."""
    return WINDOW_ORIGIN + ((when - WINDOW_ORIGIN) // width) * width


def score_window(
    baseline: MachineBaseline, window: ConditionWindow, *, min_samples: int
) -> AnomalyScore | None:
    """The window's score, timed at its end; None when no signal has enough samples.

    Signals without a baseline or with fewer than ``min_samples`` samples in the
    window are left out: a window average of one or two samples is mostly noise.
    """
    names: list[str] = []
    deviations: list[float] = []
    for mean in window.signals:
        reference = baseline.of(mean.signal)
        if reference is None or mean.samples < min_samples:
            continue
        names.append(mean.signal)
        deviations.append((mean.mean - reference.center) / reference.scale)
    if not names:
        return None
    z = np.asarray(deviations, dtype=float)
    score = float(np.sqrt(np.sum(np.clip(z, 0.0, None) ** 2)))
    order = np.argsort(-z, kind="stable")
    contributions = tuple(SignalContribution(names[i], float(z[i])) for i in order)
    return AnomalyScore(
        time=window.end, machine_id=window.machine_id, score=score, contributions=contributions
    )


def score_windows(
    baseline: MachineBaseline, windows: Sequence[ConditionWindow], *, min_samples: int
) -> list[AnomalyScore]:
    """Scores of every window that has enough data, in time order."""
    scores = (score_window(baseline, w, min_samples=min_samples) for w in windows)
    return sorted((s for s in scores if s is not None), key=lambda s: s.time)
