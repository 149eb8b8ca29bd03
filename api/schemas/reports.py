"""The OEE report of one line over a range: what the report page, the CSV and the PDF show.

Ratios are null where they are no genuine figure: all four when the subject has
no planned busy time with data, performance and OEE when the raw performance
came out above 100 % (``performance_flagged``: a data problem, never a figure).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from api.schemas.base import PublicModel
from api.schemas.lines import CustomerRef, SiteRef
from api.schemas.oee import OeeRatiosPublic
from models.oee import DowntimeEvent, LossCategory, LossEntry, OeeResult, ReliabilityFigures

ReportPeriod = Literal["shift", "day", "week", "month"]
LossGroup = Literal["availability", "performance", "quality"]

LOSS_LABELS: dict[LossCategory, tuple[str, LossGroup]] = {
    LossCategory.BREAKDOWNS: ("Breakdowns", "availability"),
    LossCategory.SETUP_ADJUSTMENT: ("Setup and adjustment", "availability"),
    LossCategory.SMALL_STOPS: ("Small stops", "performance"),
    LossCategory.REDUCED_SPEED: ("Reduced speed", "performance"),
    LossCategory.STARTUP_REJECTS: ("Start-up rejects", "quality"),
    LossCategory.PRODUCTION_REJECTS: ("Production rejects", "quality"),
}


class ReportFiguresPublic(OeeRatiosPublic):
    """The figures of a subject over a range or period; null ratios as ``OeeRatiosPublic``."""


class LossPublic(PublicModel):
    """One of the six big losses; for the reject losses ``seconds`` is the parts' ideal time."""

    category: LossCategory
    label: str
    group: LossGroup
    seconds: float
    count: float

    @classmethod
    def of(cls, entry: LossEntry) -> LossPublic:
        label, group = LOSS_LABELS[entry.category]
        return cls(
            category=entry.category,
            label=label,
            group=group,
            seconds=entry.seconds,
            count=entry.count,
        )


def six_big_losses(entries: tuple[LossEntry, ...]) -> list[LossPublic]:
    """All six losses in their canonical order, zero where the result has none."""
    by_category = {e.category: e for e in entries}
    return [
        LossPublic.of(by_category.get(category, LossEntry(category, 0.0, 0.0)))
        for category in LOSS_LABELS
    ]


class SubjectFiguresPublic(PublicModel):
    """The line or one machine over the whole range."""

    subject_id: str
    name: str
    figures: ReportFiguresPublic
    losses: list[LossPublic]

    @classmethod
    def of(cls, result: OeeResult, name: str) -> SubjectFiguresPublic:
        return cls(
            subject_id=result.subject_id,
            name=name,
            figures=ReportFiguresPublic.of(result),
            losses=six_big_losses(result.losses),
        )


class ReportSummaryPublic(PublicModel):
    """``line`` is null when there is no result for the range; machines in line order."""

    line: SubjectFiguresPublic | None
    machines: list[SubjectFiguresPublic]


class TrendPointPublic(PublicModel):
    """The line's figures over one period (a shift, day, week or month), oldest first."""

    label: str
    start: datetime
    end: datetime
    figures: ReportFiguresPublic


class ShiftComparisonPublic(PublicModel):
    """The line in all shifts of one name over the range, times and counts summed."""

    shift_name: str
    shift_count: int
    figures: ReportFiguresPublic


class ParetoBarPublic(PublicModel):
    """Downtime of one reason, largest first, with its share of all downtime."""

    reason: str
    fault_code: int | None
    seconds: float
    count: int
    share: float
    cumulative_share: float


class DowntimePublic(PublicModel):
    """One stop: ``duration_s`` as the state history shows it (it may run over breaks and
    shift ends), ``lost_s`` the part inside planned busy time with data, which it cost."""

    machine_id: str
    machine_name: str
    start: datetime
    end: datetime
    duration_s: float
    lost_s: float
    category: str
    fault_code: int | None
    reason: str

    @classmethod
    def of(cls, event: DowntimeEvent, machine_name: str) -> DowntimePublic:
        return cls(
            machine_id=event.machine_id,
            machine_name=machine_name,
            start=event.start,
            end=event.end,
            duration_s=(event.end - event.start).total_seconds(),
            lost_s=event.seconds,
            category=event.category,
            fault_code=event.fault_code,
            reason=event.reason,
        )


class ReliabilityPublic(PublicModel):
    """MTBF and MTTR of a machine; null where there was no failure to measure from."""

    machine_id: str
    machine_name: str
    failures: int
    running_s: float
    repair_s: float
    mtbf_s: float | None
    mttr_s: float | None

    @classmethod
    def of(cls, figures: ReliabilityFigures, machine_name: str) -> ReliabilityPublic:
        return cls(
            machine_id=figures.machine_id,
            machine_name=machine_name,
            failures=figures.failures,
            running_s=figures.running_s,
            repair_s=figures.repair_s,
            mtbf_s=figures.mtbf_s,
            mttr_s=figures.mttr_s,
        )


class ReportLineRef(PublicModel):
    id: str
    name: str
    model: str
    serial: str


class LineReportPublic(PublicModel):
    """Everything the report shows; times in UTC, ``site.timezone`` says where the plant is.

    ``downtimes`` holds at most ``downtime_limit`` stops, oldest first;
    ``downtimes_truncated`` says that the range holds more.
    """

    line: ReportLineRef
    customer: CustomerRef
    site: SiteRef
    since: datetime
    until: datetime
    period: ReportPeriod
    summary: ReportSummaryPublic
    trend: list[TrendPointPublic]
    shift_comparison: list[ShiftComparisonPublic]
    pareto: list[ParetoBarPublic]
    downtimes: list[DowntimePublic]
    downtime_limit: int
    downtimes_truncated: bool
    reliability: list[ReliabilityPublic]
