"""Time ranges from query parameters, with defaults anchored on the data's own clock.

Data time is simulated plant time that may run ahead of the wall clock, so a
missing ``until`` means "the newest data", not ``now()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, status

# The database keeps microseconds: the next instant after ``until`` is one microsecond on.
_RESOLUTION = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A range the API treats as including both ends."""

    since: datetime
    until: datetime

    @property
    def end_exclusive(self) -> datetime:
        """For stores that read half-open ``[since, until)`` ranges."""
        return self.until + _RESOLUTION


def as_utc(value: datetime) -> datetime:
    """Timestamps without an offset are taken as UTC rather than the server's zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Telemetry lives well inside these; outside them date arithmetic overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def invalid_range(message: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


def resolve_range(
    since: datetime | None,
    until: datetime | None,
    *,
    anchor: datetime | None,
    default_span: timedelta,
) -> TimeRange:
    """The requested range, filling what is missing.

    422 when since is not before until, or when either lies outside 1970-2200.

    ``anchor`` is the newest data time (None when there is no data yet, then the
    wall clock stands in).
    """
    for name, value in (("since", since), ("until", until)):
        if value is not None and not EARLIEST <= as_utc(value) < LATEST:
            raise invalid_range(f"{name} must lie between {EARLIEST.year} and {LATEST.year}")
    end = as_utc(until) if until is not None else (anchor or datetime.now(UTC))
    try:
        start = as_utc(since) if since is not None else end - default_span
    except OverflowError:
        raise invalid_range("until is too early to count a default range back from it") from None
    if start >= end:
        raise invalid_range(f"since ({start.isoformat()}) must be before until ({end.isoformat()})")
    return TimeRange(since=start, until=end)
