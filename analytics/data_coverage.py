"""Which stretches of time a machine's telemetry vouches for.

Any sample of any signal of the machine shows that its data was flowing. A
sample vouches for the time until the next one when that comes within
``max_gap_s``; a longer silence is a data gap, and the whole gap is unknown
because we cannot tell when the connection dropped. Every signal counts, not
just the counters: a source that reports on change sends no counter values
while the machine stands, but its noisy condition signals keep coming.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models.intervals import Interval


def seen_spans(sample_times: Sequence[datetime], *, max_gap_s: float) -> list[Interval]:
    """Runs of samples never further apart than ``max_gap_s``, each from its first
    sample to its last. The storage reader computes the same in SQL."""
    spans: list[Interval] = []
    for when in sorted(set(sample_times)):
        if spans and (when - spans[-1].end).total_seconds() <= max_gap_s:
            spans[-1] = Interval(spans[-1].start, when)
        else:
            spans.append(Interval(when, when))
    return spans


def covered_intervals(
    seen: Sequence[Interval], *, until: datetime, max_gap_s: float
) -> list[Interval]:
    """The time before ``until`` the data vouches for.

    That is every seen span, and the stretch after the last one up to ``until``
    when it is no longer than ``max_gap_s``: the next sample is simply not due yet.
    """
    before = sorted((s for s in seen if s.start < until), key=lambda s: s.start)
    covered = [Interval(s.start, min(s.end, until)) for s in before]
    if covered and (until - covered[-1].end).total_seconds() <= max_gap_s:
        covered[-1] = Interval(covered[-1].start, until)
    return [c for c in covered if c.start < c.end]
