"""Half-open time intervals ``[start, end)`` and the overlap arithmetic OEE needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of absolute time, ``start`` included, ``end`` excluded."""

    start: datetime
    end: datetime

    @property
    def empty(self) -> bool:
        return self.end <= self.start

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 0.0)

    def clip(self, start: datetime, end: datetime) -> Interval | None:
        """The part of this interval inside ``[start, end)``, or None when nothing is."""
        lower, upper = max(self.start, start), min(self.end, end)
        return Interval(lower, upper) if lower < upper else None


def subtract(whole: Interval, holes: Sequence[Interval]) -> list[Interval]:
    """``whole`` with ``holes`` cut out, in time order."""
    pieces: list[Interval] = []
    cursor = whole.start
    for hole in sorted(holes, key=lambda h: h.start):
        if hole.end <= cursor or hole.start >= whole.end:
            continue
        if hole.start > cursor:
            pieces.append(Interval(cursor, hole.start))
        cursor = max(cursor, hole.end)
    if cursor < whole.end:
        pieces.append(Interval(cursor, whole.end))
    return pieces
