"""Live values and trends of a machine's signals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from api.schemas.base import PublicModel
from api.signal_value_names import value_name
from models.plant import MachinePlacement, Plant, SignalKind, SignalSpec
from models.readings import LatestValue, Quality, Trend

QualityName = Literal["good", "uncertain", "bad"]
_QUALITY_NAMES: dict[Quality, QualityName] = {
    Quality.GOOD: "good",
    Quality.UNCERTAIN: "uncertain",
    Quality.BAD: "bad",
}


def quality_name(quality: Quality) -> QualityName:
    return _QUALITY_NAMES[quality]


class SignalValuePublic(PublicModel):
    """A signal of the plant file with its newest sample; value and time are null before any.

    ``value_name`` says what a coded value means: the PackML state, the product's
    name, the fault's reason ("no fault" for 0); null for measured values and for
    codes the plant file does not name. Counters are the PLC's running totals,
    not figures of a shift.
    """

    signal: str
    kind: SignalKind
    unit: str
    value: float | None
    value_name: str | None
    time: datetime | None
    quality: QualityName | None

    @classmethod
    def of(cls, spec: SignalSpec, latest: LatestValue | None, plant: Plant) -> SignalValuePublic:
        value = latest.value if latest else None
        return cls(
            signal=spec.name,
            kind=spec.kind,
            unit=spec.unit,
            value=value,
            value_name=value_name(spec, value, plant),
            time=latest.time if latest else None,
            quality=quality_name(latest.quality) if latest else None,
        )


class MachineLivePublic(PublicModel):
    """Every signal the plant file gives the machine, in its order, with the newest sample."""

    machine_id: str
    machine_name: str
    line_id: str
    values: list[SignalValuePublic]

    @classmethod
    def of(
        cls, placement: MachinePlacement, latest: Sequence[LatestValue], plant: Plant
    ) -> MachineLivePublic:
        by_signal = {v.signal: v for v in latest if v.machine_id == placement.machine.id}
        return cls(
            machine_id=placement.machine.id,
            machine_name=placement.machine.name,
            line_id=placement.line.id,
            values=[
                SignalValuePublic.of(spec, by_signal.get(spec.name), plant)
                for spec in placement.machine.signals
            ],
        )


class TrendPointPublic(PublicModel):
    time: datetime
    value: float
    min: float
    max: float
    samples: int


class TrendPublic(PublicModel):
    """Points oldest first; ``bucket_s`` is null for raw samples, else the bucket width."""

    machine_id: str
    signal: str
    unit: str
    since: datetime
    until: datetime
    bucket_s: float | None
    points: list[TrendPointPublic]

    @classmethod
    def of(
        cls,
        *,
        machine_id: str,
        spec: SignalSpec,
        since: datetime,
        until: datetime,
        trend: Trend,
    ) -> TrendPublic:
        return cls(
            machine_id=machine_id,
            signal=spec.name,
            unit=spec.unit,
            since=since,
            until=until,
            bucket_s=_seconds(trend.bucket),
            points=[
                TrendPointPublic(
                    time=p.time, value=p.value, min=p.min_value, max=p.max_value, samples=p.samples
                )
                for p in trend.points
            ],
        )


def _seconds(width: timedelta | None) -> float | None:
    return width.total_seconds() if width is not None else None
