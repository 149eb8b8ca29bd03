"""Service-level deadlines of a ticket, fixed from the contract when it is received. Pure.

Clock-hour promises are added in absolute time, so a night that changes daylight
saving time still lasts its real hours. Working-day promises keep the clock time:
``N`` working days after a Friday 09:30 is the N-th following working day at 09:30.
Weekdays are read in the time zone of ``received_at``; pass it in the site's zone.
A contract that counts working time adds its hours on the site's business
calendar (``alerts.sla_calendar``): a 2 h response to a request received at 21:30
on a Friday, with a day shift on weekdays, falls due on Monday morning.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from alerts.sla_calendar import BusinessCalendar, add_counted_time
from models.plant import DEFAULT_SLA, Contract, Severity, SlaTerms
from models.tickets import SlaDeadlines


def sla_terms(contract: Contract, severity: Severity) -> SlaTerms:
    """The contract's promise for a grade, or the default promise when it names none."""
    return contract.sla.get(severity, DEFAULT_SLA[severity])


def add_hours(start: datetime, hours: float) -> datetime:
    """``hours`` of elapsed time after ``start``, expressed in ``start``'s time zone."""
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(start.tzinfo)


def add_working_days(
    start: datetime,
    days: int,
    working_days: Collection[int],
    holidays: Collection[date] = (),
) -> datetime:
    """The same clock time on the ``days``-th working day after ``start``.

    The day received never counts, whether or not it is a working day: a request
    received on Friday or Saturday with three working days (Mon-Fri) is due on
    Wednesday. ``working_days`` are ISO weekdays, 1 = Monday; ``holidays`` (the
    site's public holidays) never count either.
    """
    if days < 0:
        raise ValueError(f"working days must not be negative, got {days}")
    if days > 0 and not set(working_days) & set(range(1, 8)):
        raise ValueError("the contract names no working days")
    naive = start.replace(tzinfo=None)
    counted = 0
    while counted < days:
        naive += timedelta(days=1)
        if naive.isoweekday() in working_days and naive.date() not in holidays:
            counted += 1
    return naive.replace(tzinfo=start.tzinfo)


def sla_deadlines(
    contract: Contract,
    severity: Severity,
    *,
    received_at: datetime,
    holidays: Collection[date] = (),
    calendar: BusinessCalendar | None = None,
) -> SlaDeadlines:
    """Response, arrival and resolution deadlines for a ticket received at ``received_at``.

    Arrival is promised in clock hours or in working days; when a contract gives
    both, the clock hours apply. Neither means "as agreed" and gives no deadline.
    Hours count on ``calendar`` when one is given (working time), else around the clock.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a time zone")
    terms = sla_terms(contract, severity)

    def add(hours: float) -> datetime:
        if calendar is None or calendar.around_the_clock:
            return add_hours(received_at, hours)
        due = add_counted_time(calendar, received_at, timedelta(hours=hours))
        assert due is not None  # only an open pause leaves a deadline unknown
        return due

    arrival_due: datetime | None = None
    if terms.arrival_hours is not None:
        arrival_due = add(terms.arrival_hours)
    elif terms.arrival_working_days is not None:
        arrival_due = add_working_days(
            received_at, terms.arrival_working_days, contract.working_days, holidays
        )
    return SlaDeadlines(
        response_due=add(terms.response_hours),
        arrival_due=arrival_due,
        resolution_due=add(terms.resolution_hours),
    )
