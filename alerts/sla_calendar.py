"""Business calendars for SLA clocks: when the clock runs, and how much time it counted. Pure.

A contract that counts working time runs its clocks only in the site's working
hours: the shifts of its shift calendar on the working days, not on its public
holidays, in the site's time zone. A shift that ends before it starts runs
overnight into the next day and belongs to the day it starts on. A contract
that does not count working time runs around the clock (24/7).

Windows are built from local wall-clock times and turned into absolute time, so
a working day that changes daylight saving time lasts its real hours. Time is
counted in absolute time; a paused stretch (waiting for the customer) does not
count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.plant import Site
from models.tickets import Span

# How far ahead a deadline is looked for before the calendar is declared empty.
_MAX_DAYS = 3700


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """One daily window of working time, local clock times; ``end <= start`` runs overnight."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When an SLA clock runs. ``hours`` empty means around the clock (24/7)."""

    timezone: str
    working_days: frozenset[int] = frozenset(range(1, 8))
    hours: tuple[WorkingHours, ...] = ()
    holidays: frozenset[date] = frozenset()

    @property
    def around_the_clock(self) -> bool:
        return not self.hours


def around_the_clock(timezone: str = "UTC") -> BusinessCalendar:
    return BusinessCalendar(timezone=timezone)


def site_calendar(site: Site, *, counts_working_time: bool) -> BusinessCalendar:
    """The site's working hours, or 24/7 when the contract does not count working time."""
    if not counts_working_time:
        return around_the_clock(site.timezone)
    return BusinessCalendar(
        timezone=site.timezone,
        working_days=frozenset(site.calendar.working_days),
        hours=tuple(WorkingHours(s.start, s.end) for s in site.calendar.shifts),
        holidays=frozenset(site.calendar.holidays),
    )


def working_windows(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's working time between ``start`` and ``end``, merged, in UTC, in order."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return
    if calendar.around_the_clock:
        yield start, end
        return
    pending: tuple[datetime, datetime] | None = None
    for window in _raw_windows(calendar, start):
        if window[0] >= end:
            break
        clipped = (max(window[0], start), min(window[1], end))
        if clipped[1] <= clipped[0]:
            continue
        if pending is not None and clipped[0] <= pending[1]:
            pending = (pending[0], max(pending[1], clipped[1]))
            continue
        if pending is not None:
            yield pending
        pending = clipped
    if pending is not None:
        yield pending


def counted_time(
    calendar: BusinessCalendar,
    start: datetime,
    end: datetime,
    *,
    paused: Sequence[Span] = (),
) -> timedelta:
    """Working time between ``start`` and ``end`` that no pause covers."""
    total = timedelta()
    for window in working_windows(calendar, start, end):
        total += window[1] - window[0]
        for pause in paused:
            total -= _overlap(window, pause)
    return total


def add_counted_time(
    calendar: BusinessCalendar,
    start: datetime,
    duration: timedelta,
    *,
    paused: Sequence[Span] = (),
) -> datetime | None:
    """The instant when ``duration`` of unpaused working time has passed after ``start``.

    None while a pause that has not ended would be reached first: the deadline
    is not known until the clock runs again. The result is in ``start``'s zone.
    """
    if duration < timedelta():
        raise ValueError(f"duration must not be negative, got {duration}")
    left = duration
    horizon = start.astimezone(UTC) + timedelta(days=_MAX_DAYS)
    for window in working_windows(calendar, start, horizon):
        for piece in _minus_pauses(window, paused):
            if piece is None:
                return None
            length = piece[1] - piece[0]
            if length >= left:
                return (piece[0] + left).astimezone(start.tzinfo)
            left -= length
    if left == timedelta():
        return start
    raise ValueError(f"the calendar has no working time within {_MAX_DAYS} days")


def _raw_windows(
    calendar: BusinessCalendar, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working windows day by day from the day before ``start`` (an overnight shift), sorted."""
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    for _ in range(_MAX_DAYS + 2):
        if day.isoweekday() in calendar.working_days and day not in calendar.holidays:
            windows = sorted(_day_window(day, hours, zone) for hours in calendar.hours)
            yield from windows
        day += timedelta(days=1)


def _day_window(day: date, hours: WorkingHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    end_day = day if hours.end > hours.start else day + timedelta(days=1)
    return (
        datetime.combine(day, hours.start, zone).astimezone(UTC),
        datetime.combine(end_day, hours.end, zone).astimezone(UTC),
    )


def _overlap(window: tuple[datetime, datetime], pause: Span) -> timedelta:
    pause_end = window[1] if pause.end is None else pause.end
    begin, finish = max(window[0], pause.start), min(window[1], pause_end)
    return finish - begin if finish > begin else timedelta()


def _minus_pauses(
    window: tuple[datetime, datetime], paused: Sequence[Span]
) -> Iterator[tuple[datetime, datetime] | None]:
    """The window's unpaused pieces in order; None where an open pause begins."""
    cursor = window[0]
    for pause in sorted(paused, key=lambda p: p.start):
        if pause.end is not None and pause.end <= cursor:
            continue
        if pause.start >= window[1]:
            break
        if pause.start > cursor:
            yield cursor, pause.start
        if pause.end is None:
            yield None
            return
        cursor = max(cursor, pause.end)
        if cursor >= window[1]:
            return
    if cursor < window[1]:
        yield cursor, window[1]
