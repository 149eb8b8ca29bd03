"""Whether a machine's newest anomaly score still describes it, or only how it was.

Scores are taken while the machine runs, one per observation width, by an
analysis that runs every few seconds and records how far it got. A score is
stale when the machine does not run now, when the analysis went on past it for
several widths without scoring again, or when the analysis itself lags far
behind the machine's data. The console then shows it greyed, "as of" its time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

# Scores come one per observation width; three widths without one is a gap.
STALE_AFTER_WIDTHS = 3
# The analysis runs every few seconds, but a demo's clock runs 60 times faster
# and a loaded machine may fall behind by some plant minutes: only a lag past
# this says the analysis has stopped keeping up.
ANALYSIS_BEHIND_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class ScoreFreshness:
    stale: bool
    reason: str | None = None


CURRENT = ScoreFreshness(stale=False)


def score_freshness(
    *,
    score_time: datetime,
    analysed_until: datetime | None,
    newest_sample: datetime | None,
    state: int | None,
    running_states: Collection[int],
    observation_width: timedelta | None,
) -> ScoreFreshness:
    """Stale when the machine does not run, no scores followed, or the analysis lags.

    ``observation_width`` None: no model scores the machine now, so the score is
    whatever an earlier model said. ``analysed_until``: how far the analysis got.
    """
    if state is not None and state not in running_states:
        return ScoreFreshness(stale=True, reason="the machine is not running")
    if observation_width is None:
        return ScoreFreshness(stale=True, reason="no model scores the machine now")
    analysed = max(analysed_until or score_time, score_time)
    if analysed - score_time > STALE_AFTER_WIDTHS * observation_width:
        return ScoreFreshness(
            stale=True, reason=f"no new score in the {_duration(analysed - score_time)} after it"
        )
    behind = newest_sample - analysed if newest_sample is not None else timedelta(0)
    if behind > max(STALE_AFTER_WIDTHS * observation_width, ANALYSIS_BEHIND_AFTER):
        return ScoreFreshness(
            stale=True, reason=f"the analysis is {_duration(behind)} behind the machine's data"
        )
    return CURRENT


def _duration(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
