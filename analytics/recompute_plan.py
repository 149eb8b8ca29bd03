"""Which shifts an analytics cycle recomputes, and in which pieces.

Every cycle recomputes the current shift of every line (its elapsed part grows,
and a silent machine's unknown time with it). On top of that, when telemetry
of a line's machines arrived with times from ``late_since`` on (late data, a
replay, a collector catching up), every shift from the one holding
``late_since - lookback`` up to now is recomputed: a stop that began up to
``lookback`` earlier may change from micro-stop to stop, and the reading just
before the new data shares its parts differently. Shifts are recomputed in
pieces of at most ``chunk`` so that catching up on a month commits week by week.

Anomaly scores depend only on the samples inside their window, so late data
from ``late_since`` on is re-scored from the window holding it, with the same
horizon, in pieces of at most ``chunk`` as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.observation_windows import window_floor
from analytics.shift_calendar import (
    ShiftWindow,
    recent_shifts,
    shift_windows,
    with_planned_downtime,
)
from models.intervals import Interval
from models.plant import ShiftCalendar


@dataclass(frozen=True, slots=True)
class RecomputeSettings:
    """How far back late data is honoured and how much is recomputed per commit."""

    # Older than the telemetry retention cannot be data; a sample stamped years
    # off by a wrong PLC clock must not make the job recompute years.
    horizon: timedelta = timedelta(days=400)
    chunk: timedelta = timedelta(days=7)


def shifts_to_recompute(
    calendar: ShiftCalendar,
    zone: ZoneInfo,
    *,
    now: datetime,
    late_since: datetime | None,
    lookback: timedelta,
    settings: RecomputeSettings,
    planned_downtime: Sequence[Interval] = (),
) -> list[ShiftWindow]:
    """The shifts to recompute, oldest first: the current (or last started) shift, and
    with late data every shift from the one it reaches back into; ``planned_downtime``
    cut out of them."""
    current = recent_shifts(calendar, zone, now=now, count=1)
    late: list[ShiftWindow] = []
    if late_since is not None:
        since = max(min(late_since, now) - lookback, now - settings.horizon)
        late = shift_windows(calendar, zone, since=since, until=now)
    by_start = {w.start: w for w in [*late, *current]}
    shifts = [by_start[start] for start in sorted(by_start)]
    return with_planned_downtime(shifts, planned_downtime)


def chunked(shifts: Sequence[ShiftWindow], span: timedelta) -> list[list[ShiftWindow]]:
    """Consecutive shifts in pieces, each starting less than ``span`` after its first."""
    pieces: list[list[ShiftWindow]] = []
    for shift in shifts:
        if pieces and shift.start - pieces[-1][0].start < span:
            pieces[-1].append(shift)
        else:
            pieces.append([shift])
    return pieces


def rescoring_start(
    late_since: datetime,
    *,
    first_window: datetime,
    now: datetime,
    width: timedelta,
    settings: RecomputeSettings,
) -> datetime:
    """The start of the first anomaly window that late data from ``late_since`` on
    touched; never before the baseline's ``first_window`` nor beyond the horizon."""
    since = max(min(late_since, now), now - settings.horizon)
    return max(window_floor(since, width), first_window)


def window_pieces(
    since: datetime, until: datetime, *, chunk: timedelta, width: timedelta
) -> list[Interval]:
    """``[since, until)`` in consecutive pieces of at most ``chunk`` (and at least one
    window), cut on window bounds when ``since`` is on one."""
    step = max(width, (chunk // width) * width)
    pieces: list[Interval] = []
    start = since
    while start < until:
        pieces.append(Interval(start, min(start + step, until)))
        start = pieces[-1].end
    return pieces
