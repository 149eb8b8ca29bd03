"""The shift windows of a site's calendar, as absolute (UTC) time.

Shifts are planned in the site's local wall-clock time; OEE needs them as
instants. Rules:

- A shift belongs to the local date it starts on. Working days and holidays
  apply to that date, so Friday's night shift (22:00-06:00) runs into Saturday
  even when Saturday is not a working day, and a holiday cancels the night
  shift that would start on it, not the one ending on it.
- A shift whose end is not after its start crosses midnight.
- Wall-clock times go through zoneinfo, so a night shift across a DST change
  lasts 7 or 9 hours of real time. A wall time that does not exist (the hour
  skipped in spring) or exists twice (autumn) is read with ``fold=0`` (PEP 495):
  the offset before the change, so breaks keep their planned length.
- Breaks are planned downtime: they are cut out of the shift's planned time.
- So is the plant file's ``planned_downtime`` (planned maintenance, no orders):
  ``with_planned_downtime`` cuts it out of the windows of the lines it stops.
  A whole day without orders can also simply be a holiday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.intervals import Interval, subtract
from models.oee_settings import PlannedDowntime
from models.plant import Break, Shift, ShiftCalendar

# How far back `recent_shifts` looks for shifts: longer than any plant holiday
# season we expect, so a Monday after a two-week shutdown still finds the last one.
RECENT_SHIFTS_SEARCH = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class ShiftWindow:
    """One planned shift on one day: its name, absolute start and end, and breaks."""

    name: str
    start: datetime
    end: datetime
    breaks: tuple[Interval, ...] = ()

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    def planned_intervals(self, until: datetime | None = None) -> tuple[Interval, ...]:
        """The shift minus its breaks; with ``until``, only the part before it.

        This is the ISO 22400 planned busy time before any data gap is removed.
        """
        end = self.end if until is None else min(self.end, until)
        if end <= self.start:
            return ()
        return tuple(subtract(Interval(self.start, end), self.breaks))


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _break_interval(day: date, shift: Shift, pause: Break, zone: ZoneInfo) -> Interval:
    # A break earlier on the clock than its shift's start falls on the next day
    # (the 02:00 break of a 22:00 night shift).
    start_day = day + timedelta(days=1) if pause.start < shift.start else day
    end_day = start_day + timedelta(days=1) if pause.end <= pause.start else start_day
    return Interval(_instant(start_day, pause.start, zone), _instant(end_day, pause.end, zone))


def _window(day: date, shift: Shift, zone: ZoneInfo) -> ShiftWindow:
    end_day = day + timedelta(days=1) if shift.end <= shift.start else day
    start, end = _instant(day, shift.start, zone), _instant(end_day, shift.end, zone)
    breaks = []
    for pause in shift.breaks:
        inside = _break_interval(day, shift, pause, zone).clip(start, end)
        if inside is not None:
            breaks.append(inside)
    return ShiftWindow(shift.name, start, end, tuple(sorted(breaks, key=lambda b: b.start)))


def _is_planned(calendar: ShiftCalendar, day: date) -> bool:
    return day.isoweekday() in calendar.working_days and day not in calendar.holidays


def shift_windows(
    calendar: ShiftCalendar, zone: ZoneInfo, *, since: datetime, until: datetime
) -> list[ShiftWindow]:
    """Every planned shift overlapping ``[since, until)``, ordered by start."""
    # One local day earlier catches the night shift that started yesterday.
    day = since.astimezone(zone).date() - timedelta(days=1)
    last_day = until.astimezone(zone).date()
    windows: list[ShiftWindow] = []
    while day <= last_day:
        if _is_planned(calendar, day):
            for shift in calendar.shifts:
                window = _window(day, shift, zone)
                if window.start < until and window.end > since:
                    windows.append(window)
        day += timedelta(days=1)
    return sorted(windows, key=lambda w: w.start)


def recent_shifts(
    calendar: ShiftCalendar, zone: ZoneInfo, *, now: datetime, count: int
) -> list[ShiftWindow]:
    """The last ``count`` shifts that have started before ``now``, oldest first.

    The newest may still be running; when ``now`` falls between shifts, all of
    them are over.
    """
    windows = shift_windows(calendar, zone, since=now - RECENT_SHIFTS_SEARCH, until=now)
    return windows[-count:] if count > 0 else []


def planned_downtime_intervals(
    downtime: Sequence[PlannedDowntime], zone: ZoneInfo, *, line_id: str
) -> list[Interval]:
    """The planned downtime of one line as absolute intervals (local times read with
    ``fold=0``, like shift times; times with an offset are taken as they are)."""

    def instant(moment: datetime) -> datetime:
        local = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
        return local.astimezone(UTC)

    return [Interval(instant(d.start), instant(d.end)) for d in downtime if d.concerns(line_id)]


def with_planned_downtime(
    windows: Sequence[ShiftWindow], downtime: Sequence[Interval]
) -> list[ShiftWindow]:
    """The windows with planned downtime cut out of their planned time, like breaks."""
    if not downtime:
        return list(windows)
    result = []
    for window in windows:
        cut = [part for d in downtime if (part := d.clip(window.start, window.end)) is not None]
        breaks = tuple(sorted([*window.breaks, *cut], key=lambda b: b.start))
        result.append(ShiftWindow(window.name, window.start, window.end, breaks))
    return result
