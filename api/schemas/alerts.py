"""Alerts raised by the monitoring rules, with where the machine stands."""

from __future__ import annotations

from datetime import datetime

from api.schemas.base import PublicModel
from models.alerts import Alert, AlertStatus
from models.plant import MachinePlacement, Severity


class AlertPublic(PublicModel):
    id: int
    machine_id: str
    machine_name: str | None
    line_id: str | None
    rule: str
    severity: Severity
    status: AlertStatus
    opened_at: datetime
    raised_at: datetime
    last_seen_at: datetime
    peak_score: float
    signals: list[str]
    message: str
    ticket_id: int | None

    @classmethod
    def of(cls, alert: Alert, placement: MachinePlacement | None) -> AlertPublic:
        """``placement`` is None for a machine the plant file no longer names."""
        return cls(
            id=alert.id,
            machine_id=alert.machine_id,
            machine_name=placement.machine.name if placement else None,
            line_id=placement.line.id if placement else None,
            rule=alert.rule,
            severity=alert.severity,
            status=alert.status,
            opened_at=alert.opened_at,
            raised_at=alert.raised_at,
            last_seen_at=alert.last_seen_at,
            peak_score=alert.peak_score,
            signals=list(alert.signals),
            message=alert.message,
            ticket_id=alert.ticket_id,
        )
