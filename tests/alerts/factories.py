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
# The anomaly scorer's window width.
WINDOW = timedelta(minutes=5)
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
    """``windows`` back-to-back scoring windows from ``start``, scored alike, timed at their end."""
    contributions = tuple(
        SignalContribution(signal, deviation)
        for signal, deviation in sorted(deviations.items(), key=lambda kv: -abs(kv[1]))
    )
    return [
        AnomalyScore(start + (i + 1) * WINDOW, machine_id, score, contributions)
        for i in range(windows)
    ]


def episode(
    *,
    started_at: datetime = FRIDAY_0800,
    minutes: int = 20,
    peak: float = 4.8,
    median: float = 4.1,
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
        drivers=tuple(SignalContribution(s, d) for s, d in drivers.items()),
    )


def alert_for(found: AnomalyEpisode, *, machine_id: str = "l1-filler", alert_id: int = 7) -> Alert:
    return Alert(
        id=alert_id,
        machine_id=machine_id,
        rule="sustained_anomaly",
        severity=found.severity,
        status=AlertStatus.OPEN,
        opened_at=found.started_at,
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
