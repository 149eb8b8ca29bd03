"""Several signals on one bucket grid, a sister machine beside them, and the healthy baseline.

Columns, not rows: ``times`` holds every bucket of the grid once, and each
series holds one entry per bucket (null where the bucket had no sample), the
shape a time-series chart takes directly and shares one cursor over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from api.schemas.base import PublicModel
from models.condition_model import ConditionModel
from models.plant import SignalKind
from storage.trend_queries import BucketGrid, SignalBuckets, grid_slots


def grid_times(grid: BucketGrid) -> list[datetime]:
    """The start of every bucket touching ``since..until``, as ``time_bucket`` numbers them."""
    first, count = grid_slots(grid)
    return [first + i * grid.width for i in range(count)]


class SeriesPublic(PublicModel):
    """One signal on the grid: average, minimum and maximum per bucket, null when empty."""

    signal: str
    unit: str
    kind: SignalKind | None
    avg: list[float | None]
    min: list[float | None]
    max: list[float | None]
    samples: list[int]

    @classmethod
    def on_grid(
        cls,
        times: Sequence[datetime],
        buckets: SignalBuckets,
        *,
        unit: str,
        kind: SignalKind | None,
    ) -> SeriesPublic:
        by_time = {b.time: b for b in buckets.buckets}
        cells = [by_time.get(t) for t in times]
        return cls(
            signal=buckets.signal,
            unit=unit,
            kind=kind,
            avg=[c.avg if c else None for c in cells],
            min=[c.min if c else None for c in cells],
            max=[c.max if c else None for c in cells],
            samples=[c.samples if c else 0 for c in cells],
        )


class MachineSeriesPublic(PublicModel):
    machine_id: str
    machine_name: str
    machine_model: str
    series: list[SeriesPublic]


class RegimeNormalPublic(PublicModel):
    """A signal's healthy level (``center``) and spread (``scale``) in one operating regime;
    regime ``*`` is the all-regime normal the others fall back to."""

    regime: str
    center: float
    scale: float


class SignalBaselinePublic(PublicModel):
    signal: str
    normals: list[RegimeNormalPublic]


class BaselinePublic(PublicModel):
    """The active condition model's normals of the requested signals it scores."""

    model_version: int
    trained_from: datetime
    trained_until: datetime
    signals: list[SignalBaselinePublic]

    @classmethod
    def of(cls, version: int, model: ConditionModel, signals: Sequence[str]) -> BaselinePublic:
        return cls(
            model_version=version,
            trained_from=model.trained_from,
            trained_until=model.trained_until,
            signals=[
                SignalBaselinePublic(
                    signal=signal,
                    normals=[
                        RegimeNormalPublic(regime=r.regime, center=n.center, scale=n.scale)
                        for r in model.regimes
                        for n in r.signals
                        if n.signal == signal
                    ],
                )
                for signal in signals
                if signal in model.signals
            ],
        )


class TrendsPublic(PublicModel):
    """Signals of a machine, and optionally of a sister machine, on one shared grid."""

    machine_id: str
    since: datetime
    until: datetime
    bucket_s: float = Field(description="Width of every bucket, in seconds")
    source: Literal["raw", "rollup"]
    times: list[datetime] = Field(description="Start of each bucket, oldest first")
    machine: MachineSeriesPublic
    compare: MachineSeriesPublic | None = Field(
        description="The machine named by `compare`, on the same grid"
    )
    baseline: BaselinePublic | None = Field(
        description="With `baseline=true`: the healthy normals; null without an active model"
    )


class ContributionsPublic(PublicModel):
    """Each signal's share of the anomaly score per bucket; the shares of one score add
    up to it, so a signal whose band rises is the one driving the score."""

    machine_id: str
    since: datetime
    until: datetime
    bucket_s: float
    times: list[datetime]
    series: list[SeriesPublic]


def seconds(width: timedelta) -> float:
    return width.total_seconds()
