"""Events whose source no machine is mapped to: counted always, reported sparingly.

A stock server raises events of its own (audit events, a URL mismatch each time
any client connects) on the Server object, which is the default notifier. Each
is a misconfiguration to report, not a payload to keep: the first event of a
source is dead-lettered at once, later ones only in one dead letter per source
and ``interval`` that says how many came since the last.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

REPORT_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DueReport:
    """A dead letter is due for this source: ``count`` events since ``since``."""

    count: int
    since: datetime | None  # None: since the collector started


class UnmappedEventSources:
    def __init__(self, interval: timedelta = REPORT_EVERY) -> None:
        self._interval = interval
        self._reported_at: dict[str, datetime] = {}
        self._unreported: Counter[str] = Counter()

    def note(self, source: str, at: datetime) -> DueReport | None:
        """Count one event of ``source`` received ``at``; the report when one is due."""
        self._unreported[source] += 1
        last = self._reported_at.get(source)
        if last is not None and at - last < self._interval:
            return None
        self._reported_at[source] = at
        return DueReport(self._unreported.pop(source), last)
