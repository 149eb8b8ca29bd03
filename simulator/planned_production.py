"""When a site's shift calendar plans production, in seconds since the simulation start.

Shifts and breaks are local times in the site's time zone; a shift whose end is
not after its start runs past midnight, and a break earlier in the day than its
shift's start belongs to that shift's second day. A shift counts when the day it
starts on is a working day and not a holiday.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.plant import ShiftCalendar

Interval = tuple[int, int]


def _seconds_since(start: datetime, day: date, clock: time, zone: ZoneInfo) -> int:
    local = datetime.combine(day, clock, tzinfo=zone)
    return int((local.astimezone(UTC) - start).total_seconds())


def _day_intervals(
    calendar: ShiftCalendar, day: date, start: datetime, zone: ZoneInfo
) -> tuple[list[Interval], list[Interval]]:
    """The shifts starting on ``day`` and their breaks, as simulation-second intervals."""
    shifts: list[Interval] = []
    breaks: list[Interval] = []
    if day.isoweekday() not in calendar.working_days or day in calendar.holidays:
        return shifts, breaks
    next_day = day + timedelta(days=1)
    for shift in calendar.shifts:
        end_day = day if shift.end > shift.start else next_day
        began = _seconds_since(start, day, shift.start, zone)
        shifts.append((began, _seconds_since(start, end_day, shift.end, zone)))
        for pause in shift.breaks:
            pause_day = day if pause.start >= shift.start else next_day
            pause_end_day = pause_day if pause.end > pause.start else pause_day + timedelta(days=1)
            breaks.append(
                (
                    _seconds_since(start, pause_day, pause.start, zone),
                    _seconds_since(start, pause_end_day, pause.end, zone),
                )
            )
    return sorted(shifts), sorted(breaks)


class _IntervalCursor:
    """Answers "is second t inside one of the intervals?" for non-decreasing t."""

    def __init__(self) -> None:
        self._intervals: deque[Interval] = deque()

    def extend(self, intervals: list[Interval]) -> None:
        self._intervals.extend(intervals)

    def contains(self, t: int) -> bool:
        intervals = self._intervals
        while intervals and intervals[0][1] <= t:
            intervals.popleft()
        return bool(intervals) and intervals[0][0] <= t


class PlannedProduction:
    """Whether the calendar plans production at a simulated second.

    Queries must not go back in time: the answer is kept with a cursor, so a
    simulation that runs for weeks does not hold weeks of intervals.
    """

    def __init__(
        self,
        calendar: ShiftCalendar,
        timezone: str,
        start: datetime,
        *,
        planned_breaks: bool = True,
        idle_outside_shifts: bool = True,
    ) -> None:
        self._calendar = calendar
        self._zone = ZoneInfo(timezone)
        self._start = start
        self._use_breaks = planned_breaks
        # A calendar without shifts plans nothing; treat it as running around the clock.
        self._use_shifts = idle_outside_shifts and bool(calendar.shifts)
        self._shifts = _IntervalCursor()
        self._breaks = _IntervalCursor()
        # The day before the start: its night shift may still be running.
        self._next_day = start.astimezone(self._zone).date() - timedelta(days=1)
        self._known_until = -(2**62)

    def is_planned(self, t: int) -> bool:
        """True when machines should produce at second ``t`` after the start."""
        if not (self._use_shifts or self._use_breaks):
            return True
        while t >= self._known_until:
            self._load_next_day()
        if self._use_breaks and self._breaks.contains(t):
            return False
        return not self._use_shifts or self._shifts.contains(t)

    def _load_next_day(self) -> None:
        day = self._next_day
        shifts, breaks = _day_intervals(self._calendar, day, self._start, self._zone)
        self._shifts.extend(shifts)
        self._breaks.extend(breaks)
        self._next_day = day + timedelta(days=1)
        # Every shift or break of a later day starts at or after that day's midnight.
        self._known_until = _seconds_since(self._start, self._next_day, time(0), self._zone)
