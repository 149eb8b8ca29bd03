"""When a running machine stops for a moment (a jam, a missing part), and why."""

from __future__ import annotations

import random

from simulator.scenarios import MicroStops, whole_seconds


class MicroStopSchedule:
    """Micro-stops at random (exponential gaps of running time), each with a fault code.

    Ask ``code_at`` for every second the machine could run and ``skip_if_due``
    for every second it cannot; seconds must not go back.
    """

    def __init__(self, settings: MicroStops | None, rng: random.Random) -> None:
        self._settings = settings
        self._rng = rng
        self._next_at = self._gap()
        self._until = 0
        self._code = 0

    def code_at(self, t: int) -> int:
        """The fault code of the micro-stop at second ``t``; 0 when the machine runs."""
        if t < self._until:
            return self._code
        settings = self._settings
        if settings is None or t < self._next_at:
            return 0
        self._until = t + self._rng.randint(
            whole_seconds(settings.shortest), whole_seconds(settings.longest)
        )
        self._code = self._rng.choice(settings.fault_codes)
        self._next_at = self._until + self._gap()
        return self._code

    def skip_if_due(self, t: int) -> None:
        """A stop falling due while the machine cannot run is not saved up for later."""
        if self._settings is not None and t >= self._next_at:
            self._next_at = t + self._gap()

    def _gap(self) -> int:
        if self._settings is None:
            return 0
        mean_s = self._settings.mean_interval.total_seconds()
        return max(1, round(self._rng.expovariate(1.0 / mean_s)))
