"""A machine's anomaly score: the newest one explained, and its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from api.schemas.base import PublicModel
from api.score_freshness import ScoreFreshness
from models.anomaly import AnomalyScore
from models.condition_forecast import HealthForecast, SignalForecast
from models.condition_model import LearningProgress, ScaleBasis, SignalDirection, StoredModel


class ContributionPublic(PublicModel):
    """``contribution``: the signal's share of the score (the shares add up to it);
    ``deviation``: its smoothed deviation from normal in its own normal spreads."""

    signal: str
    deviation: float
    contribution: float


class ModelSignalPublic(PublicModel):
    """How a signal is scored: its direction, what its scale came from, whether it is slow."""

    signal: str
    direction: SignalDirection | None
    scale_basis: ScaleBasis
    center: float
    scale: float
    slow: bool
    scored: bool


class ModelPublic(PublicModel):
    version: int
    status: str
    method: str
    trained_from: datetime
    trained_until: datetime
    observations: int
    observation_width_s: float
    false_alarm_probability: float
    regimes: list[str]
    signals: list[ModelSignalPublic]

    @classmethod
    def of(cls, stored: StoredModel) -> ModelPublic:
        model = stored.model
        overall = model.regime("*")
        scored = [
            ModelSignalPublic(
                signal=n.signal,
                direction=model.directions[j],
                scale_basis=n.basis,
                center=n.center,
                scale=n.scale,
                slow=model.slow[j],
                scored=True,
            )
            for j, n in enumerate(overall.signals)
        ]
        constant = [
            ModelSignalPublic(
                signal=n.signal,
                direction=None,
                scale_basis=n.basis,
                center=n.center,
                scale=n.scale,
                slow=False,
                scored=False,
            )
            for n in model.constant
        ]
        return cls(
            version=stored.version,
            status=stored.status.value,
            method=model.method,
            trained_from=model.trained_from,
            trained_until=model.trained_until,
            observations=model.observations,
            observation_width_s=model.observation_width_s,
            false_alarm_probability=model.calibration.false_alarm_probability,
            regimes=[r.regime for r in model.regimes],
            signals=scored + constant,
        )


class SignalForecastPublic(PublicModel):
    """``hours_to_limit`` with its interval (``hours_low``..``hours_high``); null when the
    signal is not heading for its limit; 0 when it is there."""

    signal: str
    unit: str
    level: float
    limit: float
    rising: bool
    slope_per_hour: float
    hours_to_limit: float | None
    hours_low: float | None
    hours_high: float | None
    sentence: str


class ForecastPublic(PublicModel):
    """The outlook: health index on the score's scale against the fixed training normal,
    each signal's time to its limit, and the latest sudden shift."""

    computed_at: datetime
    health_index: float
    change_at: datetime | None
    soonest: SignalForecastPublic | None
    signals: list[SignalForecastPublic]

    @classmethod
    def of(cls, forecast: HealthForecast) -> ForecastPublic:
        def one(s: SignalForecast) -> SignalForecastPublic:
            return SignalForecastPublic(
                signal=s.signal,
                unit=s.unit,
                level=s.level,
                limit=s.limit,
                rising=s.rising,
                slope_per_hour=s.slope_per_hour,
                hours_to_limit=s.hours_to_limit,
                hours_low=s.hours_low,
                hours_high=s.hours_high,
                sentence=s.sentence(),
            )

        soonest = forecast.soonest()
        return cls(
            computed_at=forecast.computed_at,
            health_index=forecast.health_index,
            change_at=forecast.change_at,
            soonest=one(soonest) if soonest is not None else None,
            signals=[one(s) for s in forecast.signals],
        )


class LearningPublic(PublicModel):
    """A machine without a model yet: how far its training data has got."""

    observations_seen: int
    observations_needed: int
    running_hours_seen: float
    running_hours_needed: float

    @classmethod
    def of(cls, progress: LearningProgress) -> LearningPublic:
        return cls(
            observations_seen=progress.observations_seen,
            observations_needed=progress.observations_needed,
            running_hours_seen=round(progress.running_seconds_seen / 3600, 2),
            running_hours_needed=round(progress.running_seconds_needed / 3600, 2),
        )


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
                ContributionPublic(
                    signal=c.signal, deviation=c.deviation, contribution=c.contribution
                )
                for c in score.contributions
            ],
        )


class AnomalyPointPublic(PublicModel):
    time: datetime
    score: float


class AnomalyPublic(PublicModel):
    """Scores are on 0..1 (0 is normal); ``alert_threshold`` (0.5) is the calibrated
        limit, and a run of scores at or above it opens an alert. ``status`` is
        ``learning`` (see ``learning``), ``scoring`` or ``unscored`` (see ``note``).
    ``latest_stale`` says the newest score describes the machine as it was, not as it
    is (``latest_stale_reason`` says why): taken before it stopped running, or several
    observation widths behind its newest data."""

    machine_id: str
    since: datetime
    until: datetime
    alert_threshold: float
    status: str
    note: str
    learning: LearningPublic | None
    model: ModelPublic | None
    forecast: ForecastPublic | None
    latest: AnomalyScorePublic | None
    latest_stale: bool
    latest_stale_reason: str | None
    history: list[AnomalyPointPublic]

    @classmethod
    def of(
        cls,
        *,
        machine_id: str,
        since: datetime,
        until: datetime,
        alert_threshold: float,
        status: str,
        note: str,
        learning: LearningProgress | None,
        model: StoredModel | None,
        forecast: HealthForecast | None,
        latest: AnomalyScore | None,
        freshness: ScoreFreshness | None,
        history: Sequence[AnomalyScore],
    ) -> AnomalyPublic:
        return cls(
            machine_id=machine_id,
            since=since,
            until=until,
            alert_threshold=alert_threshold,
            status=status,
            note=note,
            learning=LearningPublic.of(learning) if learning is not None else None,
            model=ModelPublic.of(model) if model is not None else None,
            forecast=ForecastPublic.of(forecast) if forecast is not None else None,
            latest=AnomalyScorePublic.of(latest) if latest is not None else None,
            latest_stale=freshness.stale if freshness is not None else False,
            latest_stale_reason=freshness.reason if freshness is not None else None,
            history=[AnomalyPointPublic(time=s.time, score=s.score) for s in history],
        )
