"""The streaming scorer: observations in, anomaly scores with explanations out. Pure.

Live data and ``linecare evaluate`` both call ``score_batch`` with successive
batches and the state the previous call returned, so a replayed history and a
running machine are scored alike.

For each observation:

1. each signal is normalised by its regime's center and scale, and a missing
   value is carried forward from the last one seen;
2. the normalised vector is averaged with the ``smoothing_observations - 1``
   before it, so single noisy observations do not alarm;
3. its residual from the reference is gated by each signal's direction, and the
   squared Mahalanobis distance ``d`` of the residual is turned into the score
   ``d / (d + limit)``;
4. the reference (first the training center) follows the smoothed vectors of
   observations below the alarm limit with a time constant of
   ``drift_time_constant_observations``, so slow ambient drift is absorbed while
   faster change is not, and an alarm is never learned away. It learns in chunks
   of a twentieth of that time constant, which keeps the work vectorised. Slow
   signals (``ConditionModel.slow``) follow always, faster: for them only quick
   changes count here; their slow drift is what the health index watches.

Per-signal contributions are the terms ``r_j * (P r)_j`` of ``d = r' P r``,
scaled like the score, so they add up to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import signal

from analytics.condition_observations import FloatArray, ObservationBatch, pick, settling
from analytics.condition_smoothing import direction_gate, rolling_mean, window_fill
from analytics.condition_training import normalise
from models.anomaly import AnomalyScore, SignalContribution
from models.condition_model import ANY_REGIME, ConditionModel, RegimeNormal, ScorerState

# The reference learns only from observations this far below the limit, so an
# alarm is never learned away.
HEALTHY_SHARE_OF_LIMIT = 1.0


def initial_state(model: ConditionModel) -> ScorerState:
    return ScorerState.fresh(model)


def _carry_forward(values: FloatArray, last: FloatArray) -> FloatArray:
    filled = values.copy()
    previous = last.copy()
    for i in range(filled.shape[0]):
        row = filled[i]
        gaps = np.isnan(row)
        if gaps.any():
            row[gaps] = previous[gaps]
        previous = row
    return filled


@dataclass(frozen=True, slots=True)
class _Scored:
    distances: FloatArray
    residuals: FloatArray
    weighted: FloatArray
    reference: FloatArray


def _slow_references(
    model: ConditionModel, smoothed: FloatArray, reference: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The reference each row of the slow signals is scored against, and the one after.

    Slow signals follow every observation, alarm or not, so this is an exact
    exponential moving average, one row behind.
    """
    slow = np.asarray(model.slow, dtype=bool)
    rate = 1.0 / max(model.slow_time_constant_observations, 1.0)
    start = reference[slow]
    followed, _ = signal.lfilter(
        [rate], [1.0, rate - 1.0], smoothed[:, slow], axis=0, zi=((1.0 - rate) * start)[None, :]
    )
    before = np.concatenate([start[None, :], followed[:-1]])
    return before, followed[-1] if followed.shape[0] else start


def _learned_regimes(
    model: ConditionModel, state: ScorerState, batch: ObservationBatch
) -> list[bool]:
    """Which observations are in regimes with normals, the model's or learned since.

    A regime the model never saw (a new product) is not judged by another
    product's normals, where the machine would look anomalous: it is skipped
    until its own center is learned (``_learn_regimes``).
    """
    trained = {r.regime for r in model.regimes}
    if trained == {ANY_REGIME}:
        return [True] * len(batch)
    known = trained | {r.regime for r in state.regimes}
    return [regime in known for regime in batch.regimes]


def _learn_regimes(
    model: ConditionModel, state: ScorerState, batch: ObservationBatch, learned: Sequence[bool]
) -> ScorerState:
    """Collect the skipped observations of new regimes; once a regime has
    ``min_regime_observations`` of them, its center is their median and it is scored
    from the next batch on, with the model's overall scales."""
    if all(learned):
        return state
    pending = {key: list(rows) for key, rows in state.pending.items()}
    for i, known in enumerate(learned):
        if not known:
            pending.setdefault(batch.regimes[i], []).append(batch.values[i].tolist())
    overall = model.regime(ANY_REGIME)
    regimes = list(state.regimes)
    for key in [k for k, rows in pending.items() if len(rows) >= model.min_regime_observations]:
        centers = np.nanmedian(np.asarray(pending.pop(key), dtype=float), axis=0)
        normals = tuple(
            replace(normal, center=float(center) if np.isfinite(center) else normal.center)
            for normal, center in zip(overall.signals, centers, strict=True)
        )
        regimes.append(RegimeNormal(key, model.min_regime_observations, normals))
    return replace(state, regimes=tuple(regimes), pending=pending)


def _score_smoothed(
    model: ConditionModel, smoothed: FloatArray, reference: FloatArray, fill: FloatArray
) -> _Scored:
    precision = np.asarray(model.precision, dtype=float)
    limit = model.calibration.limit
    slow = np.asarray(model.slow, dtype=bool)
    tau = max(model.drift_time_constant_observations, 1.0)
    chunk = max(1, int(tau // 20))
    healthy_below = HEALTHY_SHARE_OF_LIMIT * limit
    slow_before, slow_after = _slow_references(model, smoothed, reference)
    fast_reference = reference.copy()
    distances = np.empty(smoothed.shape[0])
    residuals = np.empty_like(smoothed)
    weighted = np.empty_like(smoothed)
    for start in range(0, smoothed.shape[0], chunk):
        part = smoothed[start : start + chunk]
        references = np.repeat(fast_reference[None, :], len(part), axis=0)
        references[:, slow] = slow_before[start : start + len(part)]
        # A mean of fewer rows than the window is noisier: its residual counts less,
        # as the square root of the share averaged (white noise).
        shrink = np.sqrt(fill[start : start + len(part)])[:, None]
        gated = direction_gate(part - references, model.directions) * shrink
        products = gated @ precision
        d = np.einsum("ij,ij->i", gated, products)
        rows = slice(start, start + len(part))
        distances[rows] = d
        residuals[rows] = gated
        weighted[rows] = gated * products
        healthy = part[d < healthy_below]
        if healthy.shape[0]:
            step = min(healthy.shape[0] / tau, 1.0)
            fast_reference = fast_reference + step * (healthy.mean(axis=0) - fast_reference)
    final = fast_reference
    final[slow] = slow_after
    return _Scored(distances, residuals, weighted, final)


def _explained(
    model: ConditionModel, batch: ObservationBatch, scored: _Scored, model_version: int | None
) -> list[AnomalyScore]:
    limit = model.calibration.limit
    distances = scored.distances
    scores = distances / (distances + limit)
    factors = np.divide(scores, distances, out=np.zeros_like(scores), where=distances > 0)
    shares = scored.weighted * factors[:, None]
    # Largest share first; ties keep the model's signal order.
    order = np.argsort(-shares, axis=1, kind="stable")
    signals = model.signals
    machine_id = model.machine_id
    result: list[AnomalyScore] = []
    # Plain lists: building objects from numpy scalars one by one is several times slower.
    for time, score, row_shares, row_residuals, row_order in zip(
        batch.times,
        scores.tolist(),
        shares.tolist(),
        scored.residuals.tolist(),
        order.tolist(),
        strict=True,
    ):
        parts = tuple(
            SignalContribution(signals[j], row_residuals[j], row_shares[j]) for j in row_order
        )
        result.append(AnomalyScore(time, machine_id, score, parts, model_version))
    return result


def score_batch(
    model: ConditionModel,
    state: ScorerState,
    batch: ObservationBatch,
    *,
    model_version: int | None = None,
) -> tuple[list[AnomalyScore], ScorerState]:
    """Scores of the batch's observations in order, and the state to continue from.

    Warm-up observations after a restart and observations in regimes the model
    never saw get no score. Smoothing starts afresh after a restart.
    """
    if len(batch) == 0:
        return [], state
    if state.since_restart < model.settle_observations:
        # A warm-up that began in an earlier batch: nothing since its restart has been
        # smoothed, so the first settled observation starts afresh too.
        state = replace(state, recent=state.recent[:0])
    warm = settling(
        batch.times,
        width_s=model.observation_width_s,
        gap_observations=model.restart_gap_observations,
        settle=model.settle_observations,
        last_time=state.last_time,
        since_restart=state.since_restart,
    )
    settled = pick(batch.select(model.signals), warm.settled)
    learned = _learned_regimes(model, state, settled)
    kept = pick(settled, learned)
    fresh = _fresh_starts(warm.fresh_start, learned)
    scores: list[AnomalyScore] = []
    start = 0
    for end in [*(i for i, f in enumerate(fresh) if f and i > 0), len(kept)]:
        if start < len(fresh) and fresh[start]:
            state = replace(state, recent=state.recent[:0])
        new, state = _score_segment(model, state, kept.slice(start, end), model_version)
        scores.extend(new)
        start = end
    state = _learn_regimes(model, state, settled, learned)
    return scores, replace(
        state,
        observations=state.observations + len(batch),
        unseen=state.unseen + len(learned) - sum(learned),
        last_time=warm.last_time,
        since_restart=warm.since_restart,
    )


def _fresh_starts(fresh_start: Sequence[bool], learned: Sequence[bool]) -> list[bool]:
    """Restart flags moved onto the observations that are scored: a restart before a
    skipped observation still starts the next scored one afresh."""
    flags: list[bool] = []
    pending = False
    for fresh, keep in zip(fresh_start, learned, strict=True):
        pending = pending or fresh
        if keep:
            flags.append(pending)
            pending = False
    return flags


def _score_segment(
    model: ConditionModel,
    state: ScorerState,
    ordered: ObservationBatch,
    model_version: int | None,
) -> tuple[list[AnomalyScore], ScorerState]:
    """Score observations that smooth together (no restart among them)."""
    if len(ordered) == 0:
        return [], state
    regimes = (*model.regimes, *state.regimes)
    normalised = _carry_forward(normalise(ordered, regimes), state.last_values)
    smoothed = rolling_mean(normalised, state.recent, model.smoothing_observations)
    scored = _score_smoothed(
        model,
        smoothed,
        state.reference,
        window_fill(len(ordered), len(state.recent), model.smoothing_observations),
    )
    keep = model.smoothing_observations - 1
    recent = np.concatenate([state.recent, normalised])[-keep:] if keep else state.recent[:0]
    next_state = replace(
        state, recent=recent, reference=scored.reference, last_values=normalised[-1]
    )
    return _explained(model, ordered, scored, model_version), next_state
