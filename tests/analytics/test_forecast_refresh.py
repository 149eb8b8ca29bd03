"""The outlook is fitted again at most every few minutes of plant time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.degradation_forecast import ForecastSettings
from analytics.forecast_refresh import outlook_is_fresh

T = datetime(2026, 3, 2, 8, tzinfo=UTC)
EVERY_S = ForecastSettings().refresh_every_s


def test_an_outlook_stands_until_it_is_refresh_every_old() -> None:
    assert outlook_is_fresh(T, T + timedelta(seconds=10), EVERY_S)
    assert outlook_is_fresh(T, T + timedelta(seconds=EVERY_S - 1), EVERY_S)
    assert not outlook_is_fresh(T, T + timedelta(seconds=EVERY_S), EVERY_S)


def test_scoring_rewound_before_the_outlook_fits_it_again() -> None:
    assert not outlook_is_fresh(T, T - timedelta(seconds=10), EVERY_S)
