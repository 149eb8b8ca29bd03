"""OEE figures as the API sends them: a line's shifts for the console, and the ratios
the console and the reports share (null where they are no genuine figure)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field

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


class OeeRatiosPublic(OeeTimeModelPublic):
    """A, P, Q and OEE with the time model and counts behind them.

    A ratio that is no genuine figure is None rather than a number a plant manager
    could take at face value: all four without planned busy time with data,
    performance and OEE when ``performance_flagged`` is set (the raw performance
    exceeded 100 %, a data problem; the stored value is capped). The console and
    the reports apply this one rule, so they never disagree about a shift.
    """

    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None

    @classmethod
    def of(cls, result: OeeResult) -> Self:
        has_data = result.planned_busy_s > 0
        genuine_performance = has_data and not result.performance_flagged
        return cls.model_validate(result, from_attributes=True).model_copy(
            update={
                "availability": result.availability if has_data else None,
                "performance": result.performance if genuine_performance else None,
                "quality": result.quality if has_data else None,
                "oee": result.oee if genuine_performance else None,
            }
        )


class OeeFiguresPublic(OeeRatiosPublic):
    """A, P, Q and OEE of one line or machine in one shift."""

    scope: OeeScope
    subject_id: str


class OeeShiftPublic(PublicModel):
    shift_name: str
    shift_start: datetime
    shift_end: datetime
    in_progress: bool = Field(
        default=False,
        description="The shift has not ended in the line's data yet: its figures are partial",
    )
    counted_until: datetime | None = Field(
        default=None, description="The figures cover the shift up to here"
    )
    line: OeeFiguresPublic | None
    machines: list[OeeFiguresPublic]


class OeeReportPublic(PublicModel):
    """Shifts newest first; a machine without a result in a shift is simply absent."""

    line_id: str
    since: datetime
    until: datetime
    shifts: list[OeeShiftPublic]
