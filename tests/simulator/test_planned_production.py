"""Shift calendars in the site's time zone: shifts, breaks past midnight, days off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from models.plant import Break, Shift, ShiftCalendar
from simulator.planned_production import PlannedProduction

NIGHT_SHIFT = Shift(
    name="night",
    start=time(22),
    end=time(6),
    breaks=(Break(name="night break", start=time(2), end=time(2, 30)),),
)
DAY_SHIFT = Shift(
    name="day",
    start=time(6),
    end=time(14),
    breaks=(Break(name="lunch", start=time(10), end=time(10, 30)),),
)
# Monday 2026-11-23, 00:00 in Hamburg (UTC+1 in November).
MONDAY = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def _planned_at(calendar: ShiftCalendar, start: datetime, *hours: float) -> list[bool]:
    planned = PlannedProduction(calendar, "Europe/Berlin", start)
    return [planned.is_planned(int(h * 3600)) for h in hours]


def test_a_night_shift_runs_past_midnight_with_its_break_on_the_second_day() -> None:
    calendar = ShiftCalendar(shifts=(NIGHT_SHIFT,), working_days=(1, 2, 3, 4, 5, 6, 7))
    # Local hours after Monday 00:00: Sunday's night shift is still running.
    assert _planned_at(calendar, MONDAY, 1.0, 2.25, 3.0, 6.5, 21.9, 22.1, 26.2) == [
        True,
        False,
        True,
        False,
        False,
        True,
        False,
    ]


def test_break_and_shift_edges_fall_on_the_exact_second() -> None:
    calendar = ShiftCalendar(shifts=(DAY_SHIFT,), working_days=(1, 2, 3, 4, 5, 6, 7))
    planned = PlannedProduction(calendar, "Europe/Berlin", MONDAY)
    edges = [6 * 3600 - 1, 6 * 3600, 10 * 3600 - 1, 10 * 3600, 10.5 * 3600, 14 * 3600]
    assert [planned.is_planned(int(t)) for t in edges] == [False, True, True, False, True, False]


def test_days_off_and_holidays_plan_nothing() -> None:
    calendar = ShiftCalendar(
        shifts=(DAY_SHIFT,), working_days=(1, 2, 3, 4, 5), holidays=(date(2026, 11, 24),)
    )
    # Monday works, Tuesday is a holiday, Saturday is off.
    assert _planned_at(calendar, MONDAY, 8, 24 + 8, 48 + 8, 5 * 24 + 8) == [
        True,
        False,
        True,
        False,
    ]


def test_breaks_only_leaves_the_time_outside_shifts_planned() -> None:
    calendar = ShiftCalendar(shifts=(DAY_SHIFT,))
    planned = PlannedProduction(calendar, "Europe/Berlin", MONDAY, idle_outside_shifts=False)
    assert [planned.is_planned(h * 3600) for h in (3, 8, 10, 20)] == [True, True, False, True]


def test_local_times_follow_daylight_saving_time() -> None:
    calendar = ShiftCalendar(shifts=(DAY_SHIFT,), working_days=(1, 2, 3, 4, 5, 6, 7))
    # 2026-06-01 00:00 UTC: Berlin is UTC+2, so the shift starts at 04:00 UTC.
    summer = datetime(2026, 6, 1, tzinfo=UTC)
    planned = PlannedProduction(calendar, "Europe/Berlin", summer)
    assert planned.is_planned(int(timedelta(hours=3, minutes=59).total_seconds())) is False
    assert planned.is_planned(int(timedelta(hours=4).total_seconds())) is True


def test_a_calendar_without_shifts_runs_around_the_clock() -> None:
    planned = PlannedProduction(ShiftCalendar(shifts=()), "Europe/Berlin", MONDAY)
    assert all(planned.is_planned(h * 3600) for h in range(0, 72, 5))
