"""The sustained-anomaly rule: when a machine's anomaly score becomes an alert. Pure.

A single high score is noise; a machine whose score stays high is degrading. The
rule raises an alert only when the most recent scores form an unbroken run at or
above ``threshold`` covering ``min_duration`` (and at least ``min_windows``
scores), and closes it only when the most recent scores form an unbroken run
below the lower ``clear_below`` covering ``clear_duration``. Between the two
thresholds an open alert stays open and a closed one stays closed (hysteresis),
so a score hovering around the threshold does not flap.

Scores are timed at the end of their scoring window (``window`` wide, 5 minutes
in analytics), so a run covers from the start of its first window to the end of
its last: three 5-minute windows cover 15 minutes. More than ``max_gap`` between
two scores breaks a run (the default tolerates one missing window): missing data
is not evidence either way.

Severity is ``general`` (degraded) for a sustained anomaly and ``serious`` when
the median score of the sustained windows reaches ``serious_factor`` times the
threshold; the median rather than the peak, so that one spike inside a run does
not escalate it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.anomaly import AnomalyScore, SignalContribution
from models.plant import Severity


@dataclass(frozen=True, slots=True)
class SustainedAnomalyRule:
    """Parameters of the rule; the defaults suit scores that sit at 0-1 when normal."""

    name: str = "sustained_anomaly"
    threshold: float = 3.0
    clear_below: float = 1.5
    window: timedelta = timedelta(minutes=5)
    min_duration: timedelta = timedelta(minutes=15)
    min_windows: int = 3
    clear_duration: timedelta = timedelta(minutes=15)
    max_gap: timedelta = timedelta(minutes=10)
    serious_factor: float = 3.0
    # A signal drives the alert when its mean deviation is at least this share of the top one.
    signal_share: float = 0.5
    # How far back the job reads scores; must cover both durations.
    history: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if not 0 < self.clear_below <= self.threshold:
            raise ValueError("clear_below must be positive and not above threshold")
        if self.history < max(self.min_duration, self.clear_duration):
            raise ValueError("history must cover min_duration and clear_duration")
        if self.min_windows < 1 or not 0 < self.signal_share <= 1:
            raise ValueError("min_windows must be >= 1 and signal_share in (0, 1]")


@dataclass(frozen=True, slots=True)
class AnomalyEpisode:
    """The evidence behind an alert: the anomalous windows and what drove them."""

    # From the start of the first anomalous window to the end of the latest one.
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
    run = _trailing_run(ordered, lambda s: s.score >= rule.threshold, rule.max_gap)
    if _covers(run, rule.min_duration, rule):
        return RaiseAlert(_episode(run, rule, started_at=run[0].time - rule.window))
    return NoChange()


def assess_open(
    scores: Sequence[AnomalyScore], rule: SustainedAnomalyRule, *, open_since: datetime
) -> UpdateAlert | CloseAlert | NoChange:
    """For a machine whose alert is open since ``open_since``: close, refresh, or leave it."""
    ordered = sorted(scores, key=lambda s: s.time)
    calm = _trailing_run(ordered, lambda s: s.score < rule.clear_below, rule.max_gap)
    if _covers(calm, rule.clear_duration, rule):
        return CloseAlert(calm_since=calm[0].time - rule.window)
    # Inside the hysteresis band the anomaly still counts as present.
    active = [s for s in ordered if s.time > open_since and s.score >= rule.clear_below]
    if not active:
        return NoChange()
    return UpdateAlert(_episode(active, rule, started_at=open_since))


def alert_message(episode: AnomalyEpisode, rule: SustainedAnomalyRule) -> str:
    """One line for the alert list: how long, how high, which signals."""
    minutes = round((episode.last_seen_at - episode.started_at).total_seconds() / 60)
    signals = ", ".join(episode.signals) or "no signal named"
    return (
        f"Anomaly score at or above {rule.threshold:g} for {minutes} min "
        f"(peak {episode.peak_score:.1f}, median {episode.median_score:.1f}); "
        f"driving signals: {signals}"
    )


def driving_signals(
    windows: Sequence[AnomalyScore], share: float
) -> tuple[SignalContribution, ...]:
    """Signals whose mean deviation over the windows reaches ``share`` of the top one.

    Means are compared by magnitude and keep their sign, so readers can tell
    rising from falling signals. A signal missing from a window counts as no
    deviation there.
    """
    if not windows:
        return ()
    totals: dict[str, float] = {}
    for window in windows:
        for contribution in window.contributions:
            totals[contribution.signal] = totals.get(contribution.signal, 0.0) + (
                contribution.deviation
            )
    means = {signal: total / len(windows) for signal, total in totals.items()}
    if not means:
        return ()
    top = max(abs(m) for m in means.values())
    if top == 0:
        return ()
    drivers = [
        SignalContribution(signal, mean)
        for signal, mean in means.items()
        if abs(mean) >= share * top
    ]
    return tuple(sorted(drivers, key=lambda d: (-abs(d.deviation), d.signal)))


def _trailing_run(
    ordered: Sequence[AnomalyScore],
    holds: Callable[[AnomalyScore], bool],
    max_gap: timedelta,
) -> list[AnomalyScore]:
    """The longest unbroken run of scores at the end of the series for which ``holds``."""
    run: list[AnomalyScore] = []
    for score in reversed(ordered):
        if not holds(score) or (run and run[-1].time - score.time > max_gap):
            break
        run.append(score)
    run.reverse()
    return run


def _covers(run: Sequence[AnomalyScore], duration: timedelta, rule: SustainedAnomalyRule) -> bool:
    if len(run) < rule.min_windows:
        return False
    return run[-1].time - run[0].time + rule.window >= duration


def _episode(
    windows: Sequence[AnomalyScore], rule: SustainedAnomalyRule, *, started_at: datetime
) -> AnomalyEpisode:
    median = statistics.median(s.score for s in windows)
    serious = median >= rule.serious_factor * rule.threshold
    return AnomalyEpisode(
        started_at=started_at,
        last_seen_at=windows[-1].time,
        windows=len(windows),
        peak_score=max(s.score for s in windows),
        median_score=median,
        severity=Severity.SERIOUS if serious else Severity.GENERAL,
        drivers=driving_signals(windows, rule.signal_share),
    )
