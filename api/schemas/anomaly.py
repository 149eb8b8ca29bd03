"""A machine's anomaly score: the newest one explained, and its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.schemas.base import PublicModel
from models.anomaly import AnomalyScore


class ContributionPublic(PublicModel):
    signal: str
    deviation: float


class AnomalyScorePublic(PublicModel):
    """A score with the signals that drove it, largest first."""

    time: datetime
    score: float
    contributions: list[ContributionPublic]

    @classmethod
    def of(cls, score: AnomalyScore) -> AnomalyScorePublic:
        return cls(
            time=score.time,
            score=score.score,
            contributions=[
                ContributionPublic(signal=c.signal, deviation=c.deviation)
                for c in score.contributions
            ],
        )


class AnomalyPointPublic(PublicModel):
    time: datetime
    score: float


class AnomalyPublic(PublicModel):
    """``alert_threshold``: a run of scores at or above it opens an alert (0 is normal)."""

    machine_id: str
    since: datetime
    until: datetime
    alert_threshold: float
    latest: AnomalyScorePublic | None
    history: list[AnomalyPointPublic]

    @classmethod
    def of(
        cls,
        *,
        machine_id: str,
        since: datetime,
        until: datetime,
        alert_threshold: float,
        latest: AnomalyScore | None,
        history: Sequence[AnomalyScore],
    ) -> AnomalyPublic:
        return cls(
            machine_id=machine_id,
            since=since,
            until=until,
            alert_threshold=alert_threshold,
            latest=AnomalyScorePublic.of(latest) if latest is not None else None,
            history=[AnomalyPointPublic(time=s.time, score=s.score) for s in history],
        )
