"""The start times of a trend grid's buckets, as the JSON strings a response carries.

A chart of a thousand buckets lists a thousand times; formatting each cost more
than the rest of a cached read. Every ladder width up to a day divides a day and
the buckets start on midnight UTC, so a day's times are the same clock readings
each day: they are written once per width, and a read joins the ones it needs
behind each day's date.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from storage.trend_rollups import BUCKET_ORIGIN

_DAY_S = 86400


@functools.cache
def _clock_readings(width_s: int) -> tuple[str, ...]:
    """``HH:MM:SS`` of every bucket start of a day: a constant table per width, kept
    for the process's life. The 1-second table is the largest (86,400 strings, some
    6 MB); all ladder widths together take some 11 MB, built only as charts ask."""
    return tuple(
        f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(0, _DAY_S, width_s)
    )


def grid_times_json(width: timedelta, start: int, stop: int) -> str:
    """The starts of buckets ``start .. stop - 1`` (indexes of ``width`` from
    ``time_bucket``'s origin) as JSON strings, comma-separated, without brackets."""
    width_s = int(width.total_seconds())
    if stop <= start:
        return ""
    first_s = int(BUCKET_ORIGIN.timestamp())
    if _DAY_S % width_s:
        return ",".join(f'"{_iso(first_s + index * width_s)}Z"' for index in range(start, stop))
    clock = _clock_readings(width_s)
    per_day = len(clock)
    days = []
    index = start
    while index < stop:
        day, slot = divmod(first_s + index * width_s, _DAY_S)
        taken = min(per_day - slot // width_s, stop - index)
        date = datetime.fromtimestamp(day * _DAY_S, UTC).date().isoformat()
        first = slot // width_s
        days.append(f'"{date}T' + f'Z","{date}T'.join(clock[first : first + taken]) + 'Z"')
        index += taken
    return ",".join(days)


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).replace(tzinfo=None).isoformat()
