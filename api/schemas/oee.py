"""OEE of a line and its machines, shift by shift."""

from __future__ import annotations

from datetime import datetime

from api.schemas.base import PublicModel
from models.oee import OeeResult, OeeScope


class OeeTimeModelPublic(PublicModel):
    """Where the planned busy time went, and the parts counted: what every OEE figure rests on.

    Field names match ``OeeResult``'s, so responses are read off a result directly.
    """

    performance_flagged: bool
    planned_busy_s: float
    running_s: float
    setup_s: float
    breakdown_s: float
    stop_s: float
    idle_s: float
    unknown_s: float
    good_count: float
    reject_count: float


class OeeFiguresPublic(OeeTimeModelPublic):
    """A, P, Q and OEE of one line or machine in one shift, with the time model behind them.

    When ``performance_flagged`` is set the raw performance exceeded 100 %: a data
    problem, so performance and OEE are not genuine figures.
    """

    scope: OeeScope
    subject_id: str
    availability: float
    performance: float
    quality: float
    oee: float

    @classmethod
    def of(cls, result: OeeResult) -> OeeFiguresPublic:
        return cls.model_validate(result, from_attributes=True)


class OeeShiftPublic(PublicModel):
    shift_name: str
    shift_start: datetime
    shift_end: datetime
    line: OeeFiguresPublic | None
    machines: list[OeeFiguresPublic]


class OeeReportPublic(PublicModel):
    """Shifts newest first; a machine without a result in a shift is simply absent."""

    line_id: str
    since: datetime
    until: datetime
    shifts: list[OeeShiftPublic]
