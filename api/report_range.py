"""The range a line report covers: defaults anchored on the data, and limits on its length.

A report by shift over months would draw hundreds of points nobody can read, and
any report over years would make the database add up every shift of them; such
requests answer 422 with what to ask for instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from api.schemas.reports import ReportPeriod
from api.time_ranges import TimeRange, invalid_range, resolve_range

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN: dict[ReportPeriod, timedelta] = {
    "shift": timedelta(days=31),
    "day": timedelta(days=366),
    "week": timedelta(days=366),
    "month": timedelta(days=366),
}


def report_range(
    since: datetime | None,
    until: datetime | None,
    *,
    anchor: datetime | None,
    period: ReportPeriod,
) -> TimeRange:
    """The requested range; by default the 7 days up to ``anchor``, the newest data time.

    422 when since is not before until, when either lies outside 1970-2200, or
    when the range is longer than the period allows.
    """
    window = resolve_range(since, until, anchor=anchor, default_span=DEFAULT_SPAN)
    longest = MAX_SPAN[period]
    if window.until - window.since > longest:
        raise invalid_range(
            f"a report by {period} covers at most {longest.days} days;"
            f" choose a shorter range or a longer period"
        )
    return window
