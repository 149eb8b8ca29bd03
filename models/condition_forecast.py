"""Where a machine's condition is heading: health index, time to limit, change points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SignalForecast:
    """One signal's trend toward its limit, in its own units.

    ``hours_to_limit`` is None when the signal is not heading for its limit with
    confidence (no significant trend toward it); 0 when it is already there.
    ``hours_low`` and ``hours_high`` bound it (the trend's 90 % interval).
    """

    signal: str
    unit: str
    level: float
    limit: float
    rising: bool
    slope_per_hour: float
    hours_to_limit: float | None
    hours_low: float | None
    hours_high: float | None

    def sentence(self) -> str:
        """e.g. "bearing_temp reaches its limit 68.0 °C in about 36 h (24 to 50 h)"."""
        unit = f" {self.unit}" if self.unit else ""
        where = f"{self.signal} reaches its limit {self.limit:.4g}{unit}"
        if self.hours_to_limit is None:
            return f"{self.signal} is not heading for its limit"
        if self.hours_to_limit == 0:
            return f"{self.signal} is at or beyond its limit {self.limit:.4g}{unit}"
        low = _hours(self.hours_low)
        high = _hours(self.hours_high)
        return f"{where} in about {_hours(self.hours_to_limit)} ({low} to {high})"


def _hours(value: float | None) -> str:
    if value is None or value == float("inf"):
        return "not foreseeable"
    if value < 1:
        return f"{max(1, round(value * 60))} min"
    if value < 48:
        return f"{value:.0f} h"
    return f"{value / 24:.1f} days"


@dataclass(frozen=True, slots=True)
class HealthForecast:
    """A machine's condition outlook at ``computed_at``.

    ``health_index`` is on the score's 0..1 scale but measured against the
    model's fixed training normal (no drift following): 0 is as trained, 0.5
    the calibrated limit. ``change_at`` is the latest sudden shift found in the
    recent observations, if any.
    """

    machine_id: str
    computed_at: datetime
    health_index: float
    signals: tuple[SignalForecast, ...]
    change_at: datetime | None
    observations: int

    def soonest(self) -> SignalForecast | None:
        """The signal that reaches its limit first, if any is heading there."""
        heading = [s for s in self.signals if s.hours_to_limit is not None]
        return min(heading, key=lambda s: s.hours_to_limit or 0.0) if heading else None
