"""Test data for the alerts stage: anomaly score series, episodes and alerts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from alerts.anomaly_rules import AnomalyEpisode
from models.alerts import Alert, AlertStatus
from models.anomaly import AnomalyScore, SignalContribution
from models.plant import Severity
from models.tickets import Ticket, TicketDraft, TicketStatus

# A Friday morning in plant time, well ahead of any wall clock this code runs on.
FRIDAY_0800 = datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
# The spacing of a machine's observations (and so of its scores).
WINDOW = timedelta(minutes=5)
# Deviations from normal in the signal's own spreads; each signal's share of a
# score follows the square of its deviation (see ``contributions``).
BEARING_WEAR = {"vibration_rms": 4.2, "bearing_temp": 3.1, "motor_current": 0.4}
BEARING_DRIVERS = {"vibration_rms": 4.2, "bearing_temp": 3.1}
HEALTHY = {"vibration_rms": 0.3, "bearing_temp": 0.2, "motor_current": 0.1}


def score_series(
    machine_id: str = "l1-filler",
    *,
    start: datetime = FRIDAY_0800,
    windows: int,
    score: float,
    deviations: Mapping[str, float] = BEARING_WEAR,
) -> list[AnomalyScore]:
    """``windows`` back-to-back observations from ``start``, scored alike (0..1), timed at
    their end."""
    contributions = contributions_of(score, deviations)
    return [
        AnomalyScore(start + (i + 1) * WINDOW, machine_id, score, contributions)
        for i in range(windows)
    ]


def contributions_of(
    score: float, deviations: Mapping[str, float]
) -> tuple[SignalContribution, ...]:
    """Shares of ``score`` in proportion to the squared deviations, largest first: they add
    up to the score, as the scorer's do for uncorrelated signals."""
    total = sum(d * d for d in deviations.values())
    return tuple(
        SignalContribution(signal, deviation, score * deviation * deviation / total)
        for signal, deviation in sorted(deviations.items(), key=lambda kv: -abs(kv[1]))
    )


def episode(
    *,
    started_at: datetime = FRIDAY_0800,
    minutes: int = 20,
    peak: float = 0.8,
    median: float = 0.7,
    severity: Severity = Severity.GENERAL,
    drivers: Mapping[str, float] = BEARING_DRIVERS,
) -> AnomalyEpisode:
    return AnomalyEpisode(
        started_at=started_at,
        last_seen_at=started_at + timedelta(minutes=minutes),
        windows=minutes // 5,
        peak_score=peak,
        median_score=median,
        severity=severity,
        drivers=contributions_of(median, drivers),
    )


def alert_for(found: AnomalyEpisode, *, machine_id: str = "l1-filler", alert_id: int = 7) -> Alert:
    return Alert(
        id=alert_id,
        machine_id=machine_id,
        rule="sustained_anomaly",
        severity=found.severity,
        status=AlertStatus.OPEN,
        opened_at=found.started_at,
        raised_at=found.last_seen_at,
        last_seen_at=found.last_seen_at,
        peak_score=found.peak_score,
        signals=found.signals,
        message="test alert",
        ticket_id=None,
    )


def ticket_for(
    draft: TicketDraft, *, status: TicketStatus = TicketStatus.REGISTERED, ticket_id: int = 11
) -> Ticket:
    return Ticket(id=ticket_id, number=f"LC-2026-{ticket_id:06d}", status=status, draft=draft)
