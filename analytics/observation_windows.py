"""The time grid live observations are made on: aligned windows of running time. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Windows are aligned to this instant; the storage reader buckets with the same origin.
WINDOW_ORIGIN = datetime(1970, 1, 1, tzinfo=UTC)

# Observation widths a machine gets, so windows line up across machines and restarts.
_WIDTHS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 86400)


def window_floor(when: datetime, width: timedelta) -> datetime:
    """The start of the window that contains ``when``."""
    return WINDOW_ORIGIN + ((when - WINDOW_ORIGIN) // width) * width


def observation_width(sample_spacing_s: float | None, floor: timedelta) -> timedelta:
    """The smallest grid width that holds at least one sample and is at least ``floor``.

    A machine sampled every second gets ``floor``; one sampled hourly gets an hour.
    """
    wanted = max(sample_spacing_s or 0.0, floor.total_seconds())
    width = next((w for w in _WIDTHS_S if w >= wanted), _WIDTHS_S[-1])
    return timedelta(seconds=width)
