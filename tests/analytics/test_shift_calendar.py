"""Shift windows in a site's local time: midnight, weekends, holidays, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from analytics.shift_calendar import recent_shifts, shift_windows
from models.intervals import Interval
from models.plant import Break, Shift, ShiftCalendar

BERLIN = ZoneInfo("Europe/Berlin")
ZURICH = ZoneInfo("Europe/Zurich")


def three_shifts(
    *, working_days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7), holidays: tuple[date, ...] = ()
) -> ShiftCalendar:
    return ShiftCalendar(
        shifts=(
            Shift(
                name="early",
                start=time(6),
                end=time(14),
                breaks=(Break(name="lunch", start=time(10), end=time(10, 30)),),
            ),
            Shift(name="late", start=time(14), end=time(22)),
            Shift(
                name="night",
                start=time(22),
                end=time(6),
                breaks=(Break(name="night break", start=time(2), end=time(2, 30)),),
            ),
        ),
        working_days=working_days,
        holidays=holidays,
    )


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def test_early_shift_in_winter_is_converted_to_utc_with_its_break() -> None:
    monday = date(2026, 1, 5)
    windows = shift_windows(three_shifts(), BERLIN, since=local(monday, 7), until=local(monday, 8))
    assert [w.name for w in windows] == ["early"]
    early = windows[0]
    assert (early.start, early.end) == (
        datetime(2026, 1, 5, 5, tzinfo=UTC),
        datetime(2026, 1, 5, 13, tzinfo=UTC),
    )
    assert early.breaks == (
        Interval(datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
    )
    planned = sum(i.seconds for i in early.planned_intervals())
    assert planned == 8 * 3600 - 30 * 60


def test_night_shift_crosses_midnight_and_its_break_falls_on_the_next_day() -> None:
    monday = date(2026, 1, 5)
    night = shift_windows(
        three_shifts(), BERLIN, since=local(monday, 23), until=local(monday, 23, 30)
    )[0]
    assert night.name == "night"
    assert (night.start, night.end) == (local(monday, 22), local(date(2026, 1, 6), 6))
    assert night.breaks == (Interval(local(date(2026, 1, 6), 2), local(date(2026, 1, 6), 2, 30)),)


def test_a_range_after_midnight_finds_the_night_shift_that_started_the_day_before() -> None:
    tuesday = date(2026, 1, 6)
    windows = shift_windows(
        three_shifts(), BERLIN, since=local(tuesday, 3), until=local(tuesday, 4)
    )
    assert [(w.name, w.start) for w in windows] == [("night", local(date(2026, 1, 5), 22))]


def test_shifts_belong_to_the_day_they_start_on() -> None:
    weekdays = three_shifts(working_days=(1, 2, 3, 4, 5))
    friday, saturday, monday = date(2026, 1, 9), date(2026, 1, 10), date(2026, 1, 12)
    windows = shift_windows(weekdays, BERLIN, since=local(friday, 6), until=local(monday, 0))
    # Friday's night shift runs into Saturday; Saturday and Sunday plan nothing.
    assert [(w.name, w.start) for w in windows] == [
        ("early", local(friday, 6)),
        ("late", local(friday, 14)),
        ("night", local(friday, 22)),
    ]
    assert windows[-1].end == local(saturday, 6)


def test_a_holiday_cancels_the_shifts_starting_on_it() -> None:
    new_year = date(2026, 1, 1)
    calendar = three_shifts(holidays=(new_year,))
    windows = shift_windows(
        calendar, BERLIN, since=local(new_year, 0), until=local(date(2026, 1, 2), 0)
    )
    # Only the night shift of 31 December, which ends on the holiday morning.
    assert [(w.name, w.start) for w in windows] == [("night", local(date(2025, 12, 31), 22))]


def test_night_shift_across_the_spring_dst_change_lasts_seven_hours() -> None:
    saturday = date(2026, 3, 28)  # clocks go 02:00 -> 03:00 on Sunday 29 March
    night = shift_windows(
        three_shifts(), BERLIN, since=local(saturday, 23), until=local(saturday, 23, 1)
    )[0]
    assert night.end - night.start == timedelta(hours=7)
    # The 02:00 break lies in the skipped hour; it keeps its 30 minutes.
    assert [b.seconds for b in night.breaks] == [1800.0]
    assert sum(i.seconds for i in night.planned_intervals()) == 7 * 3600 - 1800


def test_night_shift_across_the_autumn_dst_change_lasts_nine_hours() -> None:
    saturday = date(2026, 10, 24)  # clocks go 03:00 -> 02:00 on Sunday 25 October
    night = shift_windows(
        three_shifts(), BERLIN, since=local(saturday, 23), until=local(saturday, 23, 1)
    )[0]
    assert night.end - night.start == timedelta(hours=9)
    assert sum(i.seconds for i in night.planned_intervals()) == 9 * 3600 - 1800


def test_planned_time_of_a_running_shift_stops_at_now() -> None:
    monday = date(2026, 1, 5)
    early = shift_windows(three_shifts(), BERLIN, since=local(monday, 7), until=local(monday, 8))[0]
    planned = early.planned_intervals(until=local(monday, 10, 15))
    assert sum(i.seconds for i in planned) == 4 * 3600  # 06:00-10:00; the break is not work


def test_recent_shifts_are_the_running_one_and_the_one_before() -> None:
    monday = date(2026, 1, 5)
    shifts = recent_shifts(three_shifts(), BERLIN, now=local(monday, 15), count=2)
    assert [(s.name, s.start) for s in shifts] == [
        ("early", local(monday, 6)),
        ("late", local(monday, 14)),
    ]


def test_recent_shifts_between_shifts_are_the_last_two_finished() -> None:
    two_shifts = ShiftCalendar(
        shifts=(
            Shift(name="early", start=time(6), end=time(14)),
            Shift(name="late", start=time(14), end=time(22)),
        )
    )
    monday = date(2026, 1, 5)
    shifts = recent_shifts(two_shifts, ZURICH, now=local(monday, 5, zone=ZURICH), count=2)
    # Monday before the early shift: the last shifts were Friday's.
    friday = date(2026, 1, 2)
    assert [(s.name, s.start) for s in shifts] == [
        ("early", local(friday, 6, zone=ZURICH)),
        ("late", local(friday, 14, zone=ZURICH)),
    ]
