"""Data for the report tests: stored results written with plain SQL, and ready-made reports.

The SQL writers fill the tables the report reads (OEE per shift with its six big
losses, downtime events), so the tests do not lean on the analytics stage.
The ready-made reports feed the CSV and PDF renderers directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.schemas.lines import CustomerRef, SiteRef
from api.schemas.reports import (
    LOSS_LABELS,
    DowntimePublic,
    LineReportPublic,
    LossPublic,
    ParetoBarPublic,
    ReliabilityPublic,
    ReportFiguresPublic,
    ReportLineRef,
    ReportPeriod,
    ReportSummaryPublic,
    ShiftComparisonPublic,
    SubjectFiguresPublic,
    TrendPointPublic,
)
from models.oee import LossCategory
from storage.connections import Connection

SHIFT_S = 7.5 * 3600
REPORT_START = datetime(2026, 2, 23, 5, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredShift:
    """One row of ``oee_results``: the times and counts, from which the ratios are taken.

    Planned busy time not running is breakdown time; ``losses`` maps a category to
    its (seconds, count).
    """

    scope: str
    subject_id: str
    shift_name: str
    shift_start: datetime
    planned_busy_s: float
    running_s: float
    ideal_output_s: float
    good: float
    reject: float
    unknown_s: float = 0.0
    losses: Mapping[LossCategory, tuple[float, float]] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.ideal_output_s > self.running_s

    @property
    def availability(self) -> float:
        return self.running_s / self.planned_busy_s if self.planned_busy_s else 0.0

    @property
    def performance(self) -> float:
        if self.flagged:
            return 1.0
        return self.ideal_output_s / self.running_s if self.running_s else 0.0

    @property
    def quality(self) -> float:
        parts = self.good + self.reject
        return self.good / parts if parts else 0.0


_LOSS_COLUMNS = ", ".join(f"{c.value}_s, {c.value}_n" for c in LossCategory)


async def insert_shift(conn: Connection, shift: StoredShift) -> None:
    """Store one shift result as the analytics job would, with its six big losses."""
    losses = [value for c in LossCategory for value in shift.losses.get(c, (0.0, 0.0))]
    await conn.execute(
        f"""
        INSERT INTO oee_results (scope, subject_id, shift_name, shift_start, shift_end,
            planned_busy_s, running_s, setup_s, breakdown_s, stop_s, idle_s, unknown_s,
            good_count, reject_count, ideal_output_s, availability, performance, quality,
            oee, performance_flagged, {_LOSS_COLUMNS})
        VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, 0, 0, %s, %s, %s, %s, %s, %s, %s, %s, %s,
            {", ".join(["%s"] * len(losses))})
        """,
        (
            shift.scope,
            shift.subject_id,
            shift.shift_name,
            shift.shift_start,
            shift.shift_start + timedelta(hours=8),
            shift.planned_busy_s,
            shift.running_s,
            shift.planned_busy_s - shift.running_s,
            shift.unknown_s,
            shift.good,
            shift.reject,
            shift.ideal_output_s,
            shift.availability,
            shift.performance,
            shift.quality,
            shift.availability * shift.performance * shift.quality,
            shift.flagged,
            *losses,
        ),
    )


async def insert_downtime(
    conn: Connection,
    *,
    machine_id: str,
    shift_start: datetime,
    started: datetime,
    ended: datetime,
    category: str,
    reason: str,
    lost_s: float | None = None,
    fault_code: int | None = None,
    counted: bool = True,
) -> None:
    """One stop's row for one shift; a stop across a shift change has a row in each."""
    await conn.execute(
        """
        INSERT INTO downtime_events (machine_id, shift_start, started, ended, category,
            fault_code, reason, lost_s, counted)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            machine_id,
            shift_start,
            started,
            ended,
            category,
            fault_code,
            reason,
            (ended - started).total_seconds() if lost_s is None else lost_s,
            counted,
        ),
    )


def figures(
    availability: float,
    performance: float,
    quality: float,
    *,
    flagged: bool = False,
    planned_busy_s: float = SHIFT_S,
    unknown_s: float = 0.0,
) -> ReportFiguresPublic:
    """Figures as the report shows them: P and OEE null when flagged, all null without data."""
    has_data = planned_busy_s > 0
    running_s = planned_busy_s * availability
    parts = running_s * performance / 0.5
    return ReportFiguresPublic(
        availability=availability if has_data else None,
        performance=performance if has_data and not flagged else None,
        quality=quality if has_data else None,
        oee=availability * performance * quality if has_data and not flagged else None,
        performance_flagged=flagged,
        planned_busy_s=planned_busy_s,
        running_s=running_s,
        setup_s=0.0,
        breakdown_s=planned_busy_s - running_s,
        stop_s=0.0,
        idle_s=0.0,
        unknown_s=unknown_s,
        good_count=round(parts * quality),
        reject_count=round(parts * (1 - quality)),
    )


def losses(breakdown_s: float = 3600.0) -> list[LossPublic]:
    return [
        LossPublic(category=c, label=label, group=group, seconds=breakdown_s / (i + 1), count=i)
        for i, (c, (label, group)) in enumerate(LOSS_LABELS.items())
    ]


def line_report(
    *,
    period: ReportPeriod = "day",
    points: int = 7,
    customer_name: str = "Nordbrau GmbH",
    machine_flagged: bool = False,
    stops: int = 3,
    truncated: bool = False,
    empty: bool = False,
) -> LineReportPublic:
    """A report of line 1 over a week, with one period flagged and one without data."""
    step = {"shift": 8, "day": 24, "week": 168, "month": 720}[period]
    trend = [
        TrendPointPublic(
            label=f"{REPORT_START + timedelta(hours=i * step):%Y-%m-%d}",
            start=REPORT_START + timedelta(hours=i * step),
            end=REPORT_START + timedelta(hours=(i + 1) * step),
            figures=figures(
                0.8,
                0.9,
                0.97,
                flagged=i == 2,
                planned_busy_s=0.0 if i == 4 else 3 * SHIFT_S,
            ),
        )
        for i in range(points)
    ]
    line = SubjectFiguresPublic(
        subject_id="line-1",
        name="Filling line 1",
        figures=figures(0.8, 0.9, 0.97, planned_busy_s=21 * SHIFT_S, unknown_s=5400.0),
        losses=losses(),
    )
    machines = [
        SubjectFiguresPublic(
            subject_id=machine_id,
            name=name,
            figures=figures(0.85, 0.9, 0.98, flagged=machine_flagged and name == "Capper"),
            losses=losses(1800.0),
        )
        for machine_id, name in (("l1-filler", "Filler"), ("l1-capper", "Capper"))
    ]
    downtimes = [
        DowntimePublic(
            machine_id="l1-filler",
            machine_name="Filler",
            start=REPORT_START + timedelta(hours=5 * i),
            end=REPORT_START + timedelta(hours=5 * i, minutes=10 + i),
            duration_s=(10 + i) * 60.0,
            lost_s=(10 + i) * 60.0,
            category="breakdown",
            fault_code=101,
            reason="Bearing failure",
        )
        for i in range(stops)
    ]
    return LineReportPublic(
        line=ReportLineRef(id="line-1", name="Filling line 1", model="FL-3000", serial="S-1"),
        customer=CustomerRef(id="nordbrau", name=customer_name),
        site=SiteRef(id="nordbrau-hamburg", name="Hamburg brewery", timezone="Europe/Berlin"),
        since=REPORT_START,
        until=REPORT_START + timedelta(hours=points * step),
        period=period,
        summary=ReportSummaryPublic(
            line=None if empty else line, machines=[] if empty else machines
        ),
        trend=[] if empty else trend,
        shift_comparison=[]
        if empty
        else [
            ShiftComparisonPublic(shift_name=name, shift_count=7, figures=figures(a, 0.9, 0.97))
            for name, a in (("early", 0.85), ("late", 0.8), ("night", 0.7))
        ],
        pareto=[]
        if empty
        else [
            ParetoBarPublic(
                reason="Bearing failure",
                fault_code=101,
                seconds=3000.0,
                count=2,
                share=0.75,
                cumulative_share=0.75,
            ),
            ParetoBarPublic(
                reason="Changeover",
                fault_code=None,
                seconds=1000.0,
                count=1,
                share=0.25,
                cumulative_share=1.0,
            ),
        ],
        downtimes=[] if empty else downtimes,
        downtime_limit=500,
        downtimes_truncated=truncated,
        reliability=[]
        if empty
        else [
            ReliabilityPublic(
                machine_id="l1-filler",
                machine_name="Filler",
                failures=2,
                running_s=100_000.0,
                repair_s=3000.0,
                mtbf_s=50_000.0,
                mttr_s=1500.0,
            )
        ],
    )
