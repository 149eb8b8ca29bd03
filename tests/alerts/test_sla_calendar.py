"""Business calendars: weekends, holidays, overnight shifts, DST nights and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.sla_calendar import (
    BusinessCalendar,
    WorkingHours,
    add_counted_time,
    around_the_clock,
    counted_time,
    site_calendar,
)
from alerts.sla_deadlines import sla_deadlines
from models.plant import Contract, Plant, Severity
from models.tickets import Span

BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
OFFICE = BusinessCalendar(
    timezone="Europe/Berlin",
    working_days=frozenset({1, 2, 3, 4, 5}),
    hours=(WorkingHours(time(8), time(17)),),
    holidays=frozenset({date(2026, 4, 6)}),  # Easter Monday
)
NIGHTS = BusinessCalendar(
    timezone="Europe/Berlin",
    working_days=frozenset({1, 2, 3, 4, 5}),
    hours=(WorkingHours(time(22), time(6)),),
)


def test_a_friday_afternoon_request_is_due_on_monday_morning() -> None:
    friday = datetime(2026, 1, 9, 16, 0, tzinfo=BERLIN)

    due = add_counted_time(OFFICE, friday, timedelta(hours=2))

    assert due == datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN)


def test_a_weekend_request_starts_counting_on_monday() -> None:
    saturday = datetime(2026, 1, 10, 11, 0, tzinfo=BERLIN)

    assert add_counted_time(OFFICE, saturday, timedelta(hours=2)) == datetime(
        2026, 1, 12, 10, 0, tzinfo=BERLIN
    )


def test_a_holiday_does_not_count() -> None:
    maundy_thursday = datetime(2026, 4, 2, 16, 0, tzinfo=BERLIN)
    # Good Friday is a working day in this calendar; Easter Monday is a holiday.
    good_friday = add_counted_time(OFFICE, maundy_thursday, timedelta(hours=2))
    after_easter = add_counted_time(OFFICE, maundy_thursday, timedelta(hours=12))

    assert good_friday == datetime(2026, 4, 3, 9, 0, tzinfo=BERLIN)
    assert after_easter == datetime(2026, 4, 7, 10, 0, tzinfo=BERLIN)


def test_an_overnight_shift_belongs_to_the_day_it_starts() -> None:
    tuesday_early = datetime(2026, 1, 13, 5, 0, tzinfo=BERLIN)
    monday_early = datetime(2026, 1, 12, 5, 0, tzinfo=BERLIN)

    # Monday 22:00 to Tuesday 06:00 runs; 1 h of it is left, the next starts Tuesday 22:00.
    assert add_counted_time(NIGHTS, tuesday_early, timedelta(hours=2)) == datetime(
        2026, 1, 13, 23, 0, tzinfo=BERLIN
    )
    # Sunday is no working day, so the night into Monday does not run.
    assert counted_time(NIGHTS, monday_early, monday_early + timedelta(hours=1)) == timedelta()


def test_a_night_shift_over_the_spring_dst_change_lasts_its_real_hours() -> None:
    everyday_nights = BusinessCalendar(
        timezone="Europe/Berlin", hours=(WorkingHours(time(22), time(6)),)
    )
    saturday_night = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN)

    counted = counted_time(everyday_nights, saturday_night, saturday_night + timedelta(hours=12))

    assert counted == timedelta(hours=7)


def test_around_the_clock_counts_absolute_hours_over_the_autumn_dst_change() -> None:
    saturday_noon = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)

    due = add_counted_time(around_the_clock("Europe/Berlin"), saturday_noon, timedelta(hours=24))

    assert due is not None
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 25, 11, 0)


def test_working_hours_are_those_of_the_site_time_zone() -> None:
    chicago_office = BusinessCalendar(
        timezone="America/Chicago",
        working_days=frozenset({1, 2, 3, 4, 5}),
        hours=(WorkingHours(time(8), time(17)),),
    )
    received = datetime(2026, 1, 12, 13, 0, tzinfo=UTC)  # 07:00 in Chicago

    due = add_counted_time(chicago_office, received, timedelta(hours=2))

    assert due == datetime(2026, 1, 12, 10, 0, tzinfo=CHICAGO)
    assert due is not None and due.tzinfo is UTC


def test_a_pause_moves_the_deadline_and_an_open_pause_leaves_it_unknown() -> None:
    start = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    clock = around_the_clock()
    closed = [Span(start + timedelta(hours=1), start + timedelta(hours=2))]
    still_open = [Span(start + timedelta(hours=1), None)]

    assert add_counted_time(clock, start, timedelta(hours=4), paused=closed) == start + timedelta(
        hours=5
    )
    assert add_counted_time(clock, start, timedelta(hours=4), paused=still_open) is None
    assert counted_time(clock, start, start + timedelta(hours=3), paused=still_open) == timedelta(
        hours=1
    )


def test_a_calendar_without_working_days_is_refused() -> None:
    never = BusinessCalendar(
        timezone="UTC", working_days=frozenset(), hours=(WorkingHours(time(8), time(9)),)
    )

    with pytest.raises(ValueError, match="no working time"):
        add_counted_time(never, datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))


def test_contract_counting_working_time_sets_deadlines_in_working_hours() -> None:
    friday_evening = datetime(2026, 1, 9, 16, 0, tzinfo=BERLIN)
    contract = Contract(number="SC-9", counts_working_time=True)

    deadlines = sla_deadlines(
        contract, Severity.GENERAL, received_at=friday_evening, calendar=OFFICE
    )

    assert deadlines.response_due == datetime(2026, 1, 12, 9, 0, tzinfo=BERLIN)
    # 72 working hours of 9 a day: 1 h on Friday, seven full days, 8 h of the eighth.
    assert deadlines.resolution_due == datetime(2026, 1, 21, 16, 0, tzinfo=BERLIN)


def test_site_calendar_follows_the_contract(plant: Plant) -> None:
    site = plant.placement_of("l1-filler").site

    assert site_calendar(site, counts_working_time=False).around_the_clock
    working = site_calendar(site, counts_working_time=True)
    assert [h.start for h in working.hours] == [time(6), time(14), time(22)]
    assert working.timezone == "Europe/Berlin"
