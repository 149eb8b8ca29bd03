"""Condition models and scorer states to and from JSON, for the model store.

A model that no longer decodes (a field renamed by a later version, a hand
edit) raises ModelDecodeError, so the caller can fall back to another version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from models.condition_model import (
    Calibration,
    ConditionModel,
    RegimeNormal,
    ScaleBasis,
    ScorerState,
    SignalDirection,
    SignalNormal,
)


class ModelDecodeError(ValueError):
    """A stored model cannot be read back."""


def _normal_json(normal: SignalNormal) -> dict[str, Any]:
    return {
        "signal": normal.signal,
        "center": normal.center,
        "scale": normal.scale,
        "basis": normal.basis.value,
        "resolution": normal.resolution,
        "samples": normal.samples,
    }


def _normal(raw: dict[str, Any]) -> SignalNormal:
    return SignalNormal(
        signal=str(raw["signal"]),
        center=float(raw["center"]),
        scale=float(raw["scale"]),
        basis=ScaleBasis(raw["basis"]),
        resolution=float(raw["resolution"]),
        samples=int(raw["samples"]),
    )


def _regime_json(regime: RegimeNormal) -> dict[str, Any]:
    return {
        "regime": regime.regime,
        "observations": regime.observations,
        "signals": [_normal_json(s) for s in regime.signals],
    }


def model_to_json(model: ConditionModel) -> dict[str, Any]:
    return {
        "machine_id": model.machine_id,
        "method": model.method,
        "signals": list(model.signals),
        "directions": [d.value for d in model.directions],
        "regimes": [_regime_json(r) for r in model.regimes],
        "constant": [_normal_json(s) for s in model.constant],
        "location": list(model.location),
        "precision": [list(row) for row in model.precision],
        "calibration": {
            "false_alarm_probability": model.calibration.false_alarm_probability,
            "gamma_shape": model.calibration.gamma_shape,
            "gamma_scale": model.calibration.gamma_scale,
            "limit": model.calibration.limit,
            "training_exceedance": model.calibration.training_exceedance,
        },
        "observation_width_s": model.observation_width_s,
        "smoothing_observations": model.smoothing_observations,
        "drift_time_constant_observations": model.drift_time_constant_observations,
        "slow": list(model.slow),
        "slow_time_constant_observations": model.slow_time_constant_observations,
        "min_shift_sigma": model.min_shift_sigma,
        "trained_from": model.trained_from.isoformat(),
        "trained_until": model.trained_until.isoformat(),
        "observations": model.observations,
        "library_versions": dict(model.library_versions),
        "restart_gap_observations": model.restart_gap_observations,
        "settle_observations": model.settle_observations,
        "min_regime_observations": model.min_regime_observations,
    }


def _regime(raw: dict[str, Any]) -> RegimeNormal:
    return RegimeNormal(
        regime=str(raw["regime"]),
        observations=int(raw["observations"]),
        signals=tuple(_normal(s) for s in raw["signals"]),
    )


def model_from_json(raw: dict[str, Any]) -> ConditionModel:
    try:
        calibration = raw["calibration"]
        model = ConditionModel(
            machine_id=str(raw["machine_id"]),
            method=str(raw["method"]),
            signals=tuple(str(s) for s in raw["signals"]),
            directions=tuple(SignalDirection(d) for d in raw["directions"]),
            regimes=tuple(_regime(r) for r in raw["regimes"]),
            constant=tuple(_normal(s) for s in raw["constant"]),
            location=tuple(float(v) for v in raw["location"]),
            precision=tuple(tuple(float(v) for v in row) for row in raw["precision"]),
            calibration=Calibration(
                false_alarm_probability=float(calibration["false_alarm_probability"]),
                gamma_shape=float(calibration["gamma_shape"]),
                gamma_scale=float(calibration["gamma_scale"]),
                limit=float(calibration["limit"]),
                training_exceedance=float(calibration["training_exceedance"]),
            ),
            observation_width_s=float(raw["observation_width_s"]),
            smoothing_observations=int(raw["smoothing_observations"]),
            drift_time_constant_observations=float(raw["drift_time_constant_observations"]),
            slow=tuple(bool(v) for v in raw["slow"]),
            slow_time_constant_observations=float(raw["slow_time_constant_observations"]),
            min_shift_sigma=float(raw["min_shift_sigma"]),
            trained_from=datetime.fromisoformat(raw["trained_from"]),
            trained_until=datetime.fromisoformat(raw["trained_until"]),
            observations=int(raw["observations"]),
            library_versions={str(k): str(v) for k, v in raw.get("library_versions", {}).items()},
            restart_gap_observations=float(raw.get("restart_gap_observations", 10.0)),
            settle_observations=int(raw.get("settle_observations", 0)),
            min_regime_observations=int(raw.get("min_regime_observations", 30)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ModelDecodeError(f"stored model does not decode: {error!r}") from error
    width = len(model.signals)
    matrices = (len(model.location), len(model.slow), len(model.directions))
    if matrices != (width,) * 3 or any(len(row) != width for row in model.precision):
        raise ModelDecodeError("stored model's matrices do not match its signals")
    return model


def state_to_json(state: ScorerState) -> dict[str, Any]:
    return {
        "recent": state.recent.tolist(),
        "reference": state.reference.tolist(),
        "last_values": state.last_values.tolist(),
        "observations": state.observations,
        "last_time": state.last_time.isoformat() if state.last_time else None,
        "since_restart": state.since_restart,
        "unseen": state.unseen,
        "regimes": [_regime_json(r) for r in state.regimes],
        "pending": state.pending,
    }


def state_from_json(raw: dict[str, Any], model: ConditionModel) -> ScorerState | None:
    """The stored state, or None when it does not fit the model (start afresh then)."""
    try:
        width = len(model.signals)
        recent = np.asarray(raw["recent"], dtype=float).reshape(-1, width)
        state = ScorerState(
            recent=recent,
            reference=np.asarray(raw["reference"], dtype=float),
            last_values=np.asarray(raw["last_values"], dtype=float),
            observations=int(raw["observations"]),
            last_time=datetime.fromisoformat(raw["last_time"]) if raw.get("last_time") else None,
            since_restart=int(raw.get("since_restart", 0)),
            unseen=int(raw.get("unseen", 0)),
            regimes=tuple(_regime(r) for r in raw.get("regimes", [])),
            pending={
                str(k): [list(map(float, row)) for row in v]
                for k, v in raw.get("pending", {}).items()
            },
        )
    except (KeyError, TypeError, ValueError):
        return None
    return state if state.fits(model) else None
