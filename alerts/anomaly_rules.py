"""The sustained-anomaly rule: when a machine's anomaly score becomes an alert. Pure.

A single high score is noise; a machine whose score stays high is degrading. The
rule raises an alert only when the most recent scores form an unbroken run at or
above ``threshold`` of at least ``raise_after`` observations (and covering
``min_duration``, zero by default), and closes it only when the most recent
scores form an unbroken run below the lower ``clear_below`` of ``clear_after``
observations (and ``clear_duration``). Between the two thresholds an open alert
stays open and a closed one stays closed (hysteresis), so a score hovering
around the threshold does not flap.

Runs are counted in observations, not in wall-clock time, so the same rule suits
a machine sampled every second and one sampled once an hour or once per cycle.
A gap longer than ``max_gap_factor`` times the typical spacing of the scores
breaks a run: missing data is not evidence either way.

Severity is ``general`` (degraded) for a sustained anomaly and ``serious`` when
the median score of the sustained observations reaches ``serious_score``; the
median rather than the peak, so that one spike inside a run does not escalate it.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.anomaly import SCORE_THRESHOLD, AnomalyScore, SignalContribution
from models.plant import Severity


@dataclass(frozen=True, slots=True)
class SustainedAnomalyRule:
    """Parameters of the rule, for scores on the calibrated 0..1 scale."""

    name: str = "sustained_anomaly"
    threshold: float = SCORE_THRESHOLD
    clear_below: float = 0.4
    raise_after: int = 10
    min_duration: timedelta = timedelta(0)
    clear_after: int = 10
    clear_duration: timedelta = timedelta(0)
    max_gap_factor: float = 3.0
    # Scores of d = 9 x limit (nine times the calibrated distance) and above.
    serious_score: float = 0.9
    # A signal drives the alert when its mean share is at least this part of the top one.
    signal_share: float = 0.5
    # How many of the latest scores the job reads; must cover both runs.
    history_observations: int = 200

    def __post_init__(self) -> None:
        if not 0 < self.clear_below <= self.threshold < 1:
            raise ValueError("need 0 < clear_below <= threshold < 1")
        if self.raise_after < 1 or self.clear_after < 1:
            raise ValueError("raise_after and clear_after must be at least 1")
        if self.history_observations < max(self.raise_after, self.clear_after) + 1:
            raise ValueError("history_observations must cover raise_after and clear_after")
        if not 0 < self.signal_share <= 1:
            raise ValueError("signal_share must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class AnomalyEpisode:
    """The evidence behind an alert: the anomalous windows and what drove them."""

    # The evidence: from the first anomalous observation to the latest one.
    started_at: datetime
    last_seen_at: datetime
    windows: int
    peak_score: float
    median_score: float
    severity: Severity
    # Mean deviation of each driving signal over the windows, largest first.
    drivers: tuple[SignalContribution, ...]

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(d.signal for d in self.drivers)


@dataclass(frozen=True, slots=True)
class RaiseAlert:
    """No alert is open and the anomaly has been sustained long enough: open one."""

    episode: AnomalyEpisode


@dataclass(frozen=True, slots=True)
class UpdateAlert:
    """The open alert's anomaly is still present: refresh its figures."""

    episode: AnomalyEpisode


@dataclass(frozen=True, slots=True)
class CloseAlert:
    """The score has stayed below ``clear_below`` since ``calm_since``: the machine recovered."""

    calm_since: datetime


@dataclass(frozen=True, slots=True)
class NoChange:
    """Nothing to do: no sustained anomaly, or an open alert with no new evidence."""


def assess_quiet(
    scores: Sequence[AnomalyScore], rule: SustainedAnomalyRule
) -> RaiseAlert | NoChange:
    """For a machine with no open alert: raise one if its latest scores are a sustained anomaly."""
    ordered = sorted(scores, key=lambda s: s.time)
    run = _trailing_run(ordered, lambda s: s.score >= rule.threshold, rule)
    if _covers(run, rule.raise_after, rule.min_duration):
        return RaiseAlert(_episode(run, rule, started_at=run[0].time))
    return NoChange()


def assess_open(
    scores: Sequence[AnomalyScore], rule: SustainedAnomalyRule, *, open_since: datetime
) -> UpdateAlert | CloseAlert | NoChange:
    """For a machine whose alert's evidence began at ``open_since``: close, refresh, or leave it."""
    ordered = sorted(scores, key=lambda s: s.time)
    calm = _trailing_run(ordered, lambda s: s.score < rule.clear_below, rule)
    if _covers(calm, rule.clear_after, rule.clear_duration):
        return CloseAlert(calm_since=calm[0].time)
    # Inside the hysteresis band the anomaly still counts as present.
    active = [s for s in ordered if s.time >= open_since and s.score >= rule.clear_below]
    if not active:
        return NoChange()
    return UpdateAlert(_episode(active, rule, started_at=open_since))


def alert_message(episode: AnomalyEpisode, rule: SustainedAnomalyRule) -> str:
    """One line for the alert list: how long, how high, which signals."""
    minutes = round((episode.last_seen_at - episode.started_at).total_seconds() / 60)
    signals = ", ".join(episode.signals) or "no signal named"
    return (
        f"Anomaly score at or above {rule.threshold:g} for {episode.windows} observations"
        f" over {minutes} min (peak {episode.peak_score:.2f}, median"
        f" {episode.median_score:.2f}); driving signals: {signals}"
    )


def driving_signals(
    windows: Sequence[AnomalyScore], share: float
) -> tuple[SignalContribution, ...]:
    """Signals whose mean contribution over the scores reaches ``share`` of the top one.

    Each driver keeps its mean signed deviation, so readers can tell rising from
    falling signals. A signal missing from a score counts as no contribution there.
    """
    if not windows:
        return ()
    deviations: dict[str, float] = {}
    contributions: dict[str, float] = {}
    for window in windows:
        for part in window.contributions:
            deviations[part.signal] = deviations.get(part.signal, 0.0) + part.deviation
            contributions[part.signal] = contributions.get(part.signal, 0.0) + part.contribution
    count = len(windows)
    top = max(contributions.values(), default=0.0)
    if top <= 0:
        return ()
    drivers = [
        SignalContribution(signal, deviations[signal] / count, total / count)
        for signal, total in contributions.items()
        if total >= share * top
    ]
    return tuple(sorted(drivers, key=lambda d: (-d.contribution, d.signal)))


def _typical_spacing(ordered: Sequence[AnomalyScore]) -> timedelta | None:
    if len(ordered) < 2:
        return None
    gaps = sorted(b.time - a.time for a, b in itertools.pairwise(ordered))
    return gaps[len(gaps) // 2]


def _trailing_run(
    ordered: Sequence[AnomalyScore],
    holds: Callable[[AnomalyScore], bool],
    rule: SustainedAnomalyRule,
) -> list[AnomalyScore]:
    """The longest unbroken run of scores at the end of the series for which ``holds``."""
    spacing = _typical_spacing(ordered)
    max_gap = spacing * rule.max_gap_factor if spacing is not None else None
    run: list[AnomalyScore] = []
    for score in reversed(ordered):
        if not holds(score):
            break
        if run and max_gap is not None and run[-1].time - score.time > max_gap:
            break
        run.append(score)
    run.reverse()
    return run


def _covers(run: Sequence[AnomalyScore], observations: int, duration: timedelta) -> bool:
    if len(run) < observations:
        return False
    return run[-1].time - run[0].time >= duration


def _episode(
    windows: Sequence[AnomalyScore], rule: SustainedAnomalyRule, *, started_at: datetime
) -> AnomalyEpisode:
    median = statistics.median(s.score for s in windows)
    serious = median >= rule.serious_score
    return AnomalyEpisode(
        started_at=started_at,
        last_seen_at=windows[-1].time,
        windows=len(windows),
        peak_score=max(s.score for s in windows),
        median_score=median,
        severity=Severity.SERIOUS if serious else Severity.GENERAL,
        drivers=driving_signals(windows, rule.signal_share),
    )
