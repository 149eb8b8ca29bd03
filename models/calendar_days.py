"""Whole days and months of a time zone, as the service reports count them. Pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``zone``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def months_after(month: date, count: int) -> date:
    """The first of the month ``count`` months after (negative: before) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)
