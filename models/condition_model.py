"""A machine's learned normal condition: the model anomaly scores are measured against.

Plain records shared by training (``analytics.condition_training``), the streaming
scorer (``analytics.condition_scoring``), the model store and the API. A model is
versioned: retraining makes a new version, and only the promoted one scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

# Every regime falls back to these normals when it had too little training data.
ANY_REGIME = "*"


class SignalDirection(StrEnum):
    """Which deviations of a signal count: rises, drops, or both (the default)."""

    UP = "up"
    DOWN = "down"
    BOTH = "both"


class ScaleBasis(StrEnum):
    """What a signal's scale was taken from; shown so the decision is visible."""

    # The robust spread of its training values: 1.4826 x MAD, at least half the
    # standard deviation of the central 98 % (for quantized, mostly steady signals).
    SPREAD = "spread"
    # Its resolution (the smallest step between training values), which was larger.
    RESOLUTION = "resolution"
    # Constant in training: left out of the score, since no spread is known.
    CONSTANT = "constant"


class ModelStatus(StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class SignalNormal:
    """The normal level and spread of one signal in one regime."""

    signal: str
    center: float
    scale: float
    basis: ScaleBasis
    resolution: float
    samples: int


@dataclass(frozen=True, slots=True)
class RegimeNormal:
    """Normals of every scored signal in one operating regime (product, speed band)."""

    regime: str
    observations: int
    signals: tuple[SignalNormal, ...]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Where the alarm threshold comes from: the training data's own score distribution.

    Out-of-sample squared distances of the training observations (contiguous
    folds) are fitted with a gamma distribution; ``limit`` is its quantile at
    ``1 - false_alarm_probability``, so one setting means the same false-alarm
    rate per observation on every machine.
    """

    false_alarm_probability: float
    gamma_shape: float
    gamma_scale: float
    limit: float
    # Share of the out-of-sample training observations at or above the limit.
    training_exceedance: float


@dataclass(frozen=True, slots=True)
class ConditionModel:
    """Everything the streaming scorer needs, and where it came from."""

    machine_id: str
    method: str
    # Scored signals, in the order of every per-signal tuple and matrix below.
    signals: tuple[str, ...]
    directions: tuple[SignalDirection, ...]
    regimes: tuple[RegimeNormal, ...]
    # Signals constant in training: not scored (no spread is known), listed so it shows.
    constant: tuple[SignalNormal, ...]
    # Center and precision (inverse shrunk covariance) of the smoothed, normalised
    # training observations, in the order of ``signals``.
    location: tuple[float, ...]
    precision: tuple[tuple[float, ...], ...]
    calibration: Calibration
    # Observations are averages over this many seconds of running time.
    observation_width_s: float
    smoothing_observations: int
    drift_time_constant_observations: float
    # Slow signals (most of their training variance is slow movement: temperatures)
    # have a reference that always follows them with this time constant, so only
    # their quick changes raise the anomaly score; their slow drift is the health
    # index's job.
    slow: tuple[bool, ...]
    slow_time_constant_observations: float
    # Shifts smaller than this many training sigmas of the raw values count little,
    # however steady a long average makes them look.
    min_shift_sigma: float
    trained_from: datetime
    trained_until: datetime
    observations: int
    library_versions: dict[str, str] = field(default_factory=dict)
    # A gap in running longer than this many observation widths is a restart
    # (after a changeover, a break, a repair); the first ``settle_observations``
    # after it are warm-up and neither trained on nor scored.
    restart_gap_observations: float = 10.0
    settle_observations: int = 0
    # A regime first seen after training gets its own center from this many of its
    # observations (the scale stays the overall one) and is scored from then on.
    min_regime_observations: int = 30

    def regime(self, key: str) -> RegimeNormal:
        """The normals of regime ``key``, or the all-regime normals it falls back to."""
        fallback = self.regimes[0]
        for regime in self.regimes:
            if regime.regime == key:
                return regime
            if regime.regime == ANY_REGIME:
                fallback = regime
        return fallback


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A model version as the model store keeps it."""

    id: int
    machine_id: str
    version: int
    status: ModelStatus
    created_at: datetime
    reason: str
    model: ConditionModel


@dataclass(frozen=True, slots=True)
class LearningProgress:
    """How far a machine without a model is: observations seen against needed."""

    machine_id: str
    observations_seen: int
    observations_needed: int
    running_seconds_seen: float
    running_seconds_needed: float


@dataclass(frozen=True, slots=True)
class ScorerState:
    """What the streaming scorer carries from one batch to the next."""

    # Up to smoothing_observations - 1 latest normalised observations.
    recent: npt.NDArray[np.float64]
    # Where the scorer currently takes normal to be (follows slow healthy drift).
    reference: npt.NDArray[np.float64]
    # The latest normalised value of each signal, for carrying gaps forward.
    last_values: npt.NDArray[np.float64]
    observations: int = 0
    # The latest observation seen, and how many have come since the last restart.
    last_time: datetime | None = None
    since_restart: int = 0
    # Observations skipped because their regime (a new product) is not in the model.
    unseen: int = 0
    # Regimes first seen after training, with the centers learned from their first
    # observations; and the raw values of regimes still being learned.
    regimes: tuple[RegimeNormal, ...] = ()
    pending: dict[str, list[list[float]]] = field(default_factory=dict)

    @classmethod
    def fresh(cls, model: ConditionModel) -> ScorerState:
        """The state right after training: settled, smoothing from scratch."""
        width = len(model.signals)
        return cls(
            recent=np.empty((0, width)),
            reference=np.asarray(model.location, dtype=float),
            last_values=np.zeros(width),
            last_time=model.trained_until,
            since_restart=model.settle_observations,
        )

    def fits(self, model: ConditionModel) -> bool:
        width = len(model.signals)
        shapes: tuple[Any, ...] = (
            self.recent.shape[1:],
            self.reference.shape,
            self.last_values.shape,
        )
        return shapes == ((width,), (width,), (width,))
