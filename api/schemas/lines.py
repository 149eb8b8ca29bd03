"""Lines and machines with their live state, as the overview shows them."""

from __future__ import annotations

import math
from datetime import date, datetime

from api.schemas.base import PublicModel
from api.schemas.telemetry import QualityName, quality_name
from api.signal_value_names import state_name
from models.anomaly import AnomalyScore
from models.readings import LatestValue


class CustomerRef(PublicModel):
    id: str
    name: str


class SiteRef(PublicModel):
    id: str
    name: str
    timezone: str


class MachineStatePublic(PublicModel):
    """The newest PackML state sample and, when one is set, the fault code."""

    code: int
    name: str
    time: datetime
    quality: QualityName
    fault_code: int | None

    @classmethod
    def of(cls, state: LatestValue, fault: LatestValue | None) -> MachineStatePublic:
        code = round(state.value)
        fault_code = (
            round(fault.value) if fault is not None and math.isfinite(fault.value) else None
        )
        return cls(
            code=code,
            name=state_name(code),
            time=state.time,
            quality=quality_name(state.quality),
            fault_code=fault_code or None,
        )


class AnomalyBriefPublic(PublicModel):
    """The newest anomaly score with the signals that drove it most."""

    time: datetime
    score: float
    top_signals: list[str]

    @classmethod
    def of(cls, score: AnomalyScore, top: int = 3) -> AnomalyBriefPublic:
        return cls(
            time=score.time,
            score=score.score,
            top_signals=[c.signal for c in score.contributions[:top]],
        )


class MachinePublic(PublicModel):
    id: str
    name: str
    model: str
    serial: str
    state: MachineStatePublic | None
    anomaly: AnomalyBriefPublic | None
    # The newest sample of any of the machine's signals: whether its data arrives, even
    # when its state signal has none, and a customer's page's "plant time".
    last_sample_at: datetime | None = None


class LinePublic(PublicModel):
    id: str
    name: str
    model: str
    serial: str
    acceptance_date: date
    warranty_months: int
    protocol: str
    customer: CustomerRef
    site: SiteRef
    machines: list[MachinePublic]
