"""The service desk's clock for API tests: the app reads "now" from it."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """The service desk's "now", moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
