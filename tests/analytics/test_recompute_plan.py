"""Which shifts a cycle recomputes: the current one, and those late data reached."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.recompute_plan import RecomputeSettings, chunked, shifts_to_recompute
from tests.analytics.golden_plant import CALENDAR
from tests.analytics.telemetry_factories import at

BERLIN = ZoneInfo("Europe/Berlin")
LOOKBACK = timedelta(seconds=240)
SETTINGS = RecomputeSettings()


def _starts(late_since: datetime | None) -> list[datetime]:
    shifts = shifts_to_recompute(
        CALENDAR,
        BERLIN,
        now=at(15),  # in Monday's late shift (13:00-21:00 UTC)
        late_since=late_since,
        lookback=LOOKBACK,
        settings=SETTINGS,
    )
    return [s.start for s in shifts]


def test_without_late_data_only_the_current_shift() -> None:
    assert _starts(None) == [at(13)]


def test_late_data_reaches_back_by_the_lookback() -> None:
    assert _starts(at(14)) == [at(13)]
    # 13:02 minus 4 minutes lies in the early shift: a stop begun then may change.
    assert _starts(at(13, 2)) == [at(5), at(13)]


def test_late_data_older_than_the_horizon_is_clamped() -> None:
    starts = _starts(at(15) - timedelta(days=3650))
    assert len(starts) == 400 * 3 + 1  # three shifts a day over the horizon, and today's


def test_a_long_catch_up_is_stored_a_week_at_a_time() -> None:
    shifts = shifts_to_recompute(
        CALENDAR,
        BERLIN,
        now=at(15),
        late_since=at(15) - timedelta(days=20),
        lookback=LOOKBACK,
        settings=SETTINGS,
    )
    pieces = chunked(shifts, timedelta(days=7))
    assert [len(p) for p in pieces] == [21, 21, 19]
    assert all(p[-1].start - p[0].start < timedelta(days=7) for p in pieces)
