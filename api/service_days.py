"""The whole-day range the service KPI and cost reports take: ``from`` and ``to`` as days
of the service's time zone, six months up to today by default, three years at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query, status

from models.calendar_days import midnight, months_after

DEFAULT_MONTHS = 6
LONGEST = timedelta(days=3 * 366)

FirstDay = Annotated[
    date | None,
    Query(alias="from", description="First day (service time zone); default: 6 months back"),
]
LastDay = Annotated[
    date | None, Query(alias="to", description="Last day, included; default: today")
]


@dataclass(frozen=True, slots=True)
class DayRange:
    """Days ``first``-``last``, both included, and the instants they begin and end at."""

    first: date
    last: date
    since: datetime
    until: datetime


def day_range(
    first_day: date | None, last_day: date | None, *, now: datetime, zone: ZoneInfo
) -> DayRange:
    """The asked range with its defaults; 422 when it runs backwards or is too long."""
    last = last_day or now.astimezone(zone).date()
    first = first_day or months_after(date(last.year, last.month, 1), 1 - DEFAULT_MONTHS)
    if first > last:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'from' lies after 'to'")
    if last - first > LONGEST:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the range may cover at most three years"
        )
    return DayRange(first, last, midnight(first, zone), midnight(last + timedelta(days=1), zone))
