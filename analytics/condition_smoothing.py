"""Array steps shared by training and scoring: smoothing and one-sided deviations. Pure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analytics.condition_observations import FloatArray
from models.condition_model import SignalDirection


def rolling_mean(values: FloatArray, history: FloatArray, width: int) -> FloatArray:
    """Each row averaged with up to ``width - 1`` rows before it (``history`` first).

    Causal: row i never sees a later row. The first rows of a series with no
    history average over what there is.
    """
    if values.shape[0] == 0:
        return values.copy()
    joined = np.concatenate([history[-(width - 1) :] if width > 1 else history[:0], values])
    cumulative = np.concatenate([np.zeros((1, joined.shape[1])), np.cumsum(joined, axis=0)])
    ends = np.arange(joined.shape[0] - values.shape[0], joined.shape[0]) + 1
    starts = np.maximum(ends - width, 0)
    counts = (ends - starts)[:, None]
    smoothed: FloatArray = (cumulative[ends] - cumulative[starts]) / counts
    return smoothed


def window_fill(rows: int, history: int, width: int) -> FloatArray:
    """How many rows each row's rolling mean averaged, as a share of ``width``."""
    available = np.minimum(np.arange(rows) + 1 + min(history, width - 1), width)
    fill: FloatArray = available / width
    return fill


def direction_gate(residuals: FloatArray, directions: Sequence[SignalDirection]) -> FloatArray:
    """Residuals with the deviations that do not count set to zero.

    A signal watched for rises ignores drops, and one watched for drops ignores rises.
    """
    gated = residuals.copy()
    for j, direction in enumerate(directions):
        if direction is SignalDirection.UP:
            gated[:, j] = np.maximum(gated[:, j], 0.0)
        elif direction is SignalDirection.DOWN:
            gated[:, j] = np.minimum(gated[:, j], 0.0)
    return gated
