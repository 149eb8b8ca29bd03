"""Days and months of a time zone, as the service reports count them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from models.calendar_days import midnight, months_after


def test_months_after_cross_years_both_ways() -> None:
    assert months_after(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert months_after(date(2026, 2, 1), -5) == date(2025, 9, 1)
    assert months_after(date(2026, 3, 1), 0) == date(2026, 3, 1)


def test_midnight_is_the_start_of_the_day_in_its_zone() -> None:
    berlin = midnight(date(2026, 7, 1), ZoneInfo("Europe/Berlin"))
    assert berlin == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
