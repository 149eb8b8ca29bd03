"""A line's OEE report: gathered from the stores, shaped for the page, the CSV and the PDF.

All figures over several shifts come from summed times and counts, never from
averaged ratios: the stores add up the range and the periods, and the shift
comparison combines shifts with ``models.oee_ratios.combine``, the one place
ratios are taken. Like the stores, the report holds the shifts that start in
the range; the downtime table lists the stops that overlap it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from api.access_scope import LinePlacement
from api.schemas.lines import CustomerRef, SiteRef
from api.schemas.reports import (
    DowntimePublic,
    LineReportPublic,
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
from api.time_ranges import TimeRange
from models.oee import OeeResult, OeeScope, ParetoEntry
from models.oee_ratios import combine
from models.plant import Line
from storage import downtime_store, oee_store, reliability_store, telemetry_queries
from storage.connections import Connection
from storage.customer_scope import CustomerScope

# The downtime table lists at most this many stops; the Pareto still counts all of them.
DOWNTIME_LIMIT = 500


async def line_clock(conn: Connection, line: Line, *, scope: CustomerScope) -> datetime | None:
    """The newest sample of any signal of the line's machines: where the line's data ends.

    This is the line's own clock, which in a simulated or replayed plant runs ahead of
    the wall clock and in a lagging one behind it; a line whose state signal is silent
    while its other signals arrive still has one.
    """
    signals = sorted({signal.name for m in line.machines for signal in m.signals})
    latest = await telemetry_queries.latest_values(
        conn, machine_ids=[m.id for m in line.machines], signals=signals, scope=scope
    )
    return max((v.time for v in latest), default=None)


async def build_line_report(
    conn: Connection,
    *,
    placement: LinePlacement,
    window: TimeRange,
    period: ReportPeriod,
    scope: CustomerScope,
) -> LineReportPublic:
    """Everything the report shows about one line over ``window``, trend grouped by ``period``;
    every store read is confined to ``scope``."""
    line, site = placement.line, placement.site
    machine_ids = [m.id for m in line.machines]
    names = {m.id: m.name for m in line.machines}
    since, until = window.since, window.end_exclusive
    line_total = await oee_store.oee_for_range(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[line.id],
        since=since,
        until=until,
        customer_scope=scope,
    )
    machine_totals = await oee_store.oee_for_range(
        conn,
        scope=OeeScope.MACHINE,
        subject_ids=machine_ids,
        since=since,
        until=until,
        customer_scope=scope,
    )
    periods = await oee_store.oee_by_period(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[line.id],
        since=since,
        until=until,
        period=period,
        timezone=site.timezone,
        customer_scope=scope,
    )
    shifts = periods
    if period != "shift":
        shifts = await oee_store.oee_by_period(
            conn,
            scope=OeeScope.LINE,
            subject_ids=[line.id],
            since=since,
            until=until,
            period="shift",
            timezone=site.timezone,
            customer_scope=scope,
        )
    pareto = await downtime_store.downtime_pareto(
        conn, machine_ids=machine_ids, since=since, until=until, scope=scope
    )
    downtimes = await downtime_store.list_downtimes(
        conn,
        machine_ids=machine_ids,
        since=since,
        until=until,
        limit=DOWNTIME_LIMIT + 1,
        scope=scope,
    )
    reliability = await reliability_store.machine_reliability(
        conn, machine_ids=machine_ids, since=since, until=until, scope=scope
    )
    return LineReportPublic(
        line=ReportLineRef(id=line.id, name=line.name, model=line.model, serial=line.serial),
        customer=CustomerRef(id=placement.customer.id, name=placement.customer.name),
        site=SiteRef(id=site.id, name=site.name, timezone=site.timezone),
        since=window.since,
        until=window.until,
        period=period,
        summary=_summary(line, line_total, machine_totals),
        trend=_trend(periods, period, ZoneInfo(site.timezone)),
        shift_comparison=_shift_comparison(shifts, [s.name for s in site.calendar.shifts]),
        pareto=_pareto(pareto),
        downtimes=sorted(
            (DowntimePublic.of(d, names.get(d.machine_id, d.machine_id)) for d in downtimes),
            key=lambda d: (d.start, d.machine_id),
        )[:DOWNTIME_LIMIT],
        downtime_limit=DOWNTIME_LIMIT,
        downtimes_truncated=len(downtimes) > DOWNTIME_LIMIT,
        reliability=_in_line_order(
            [ReliabilityPublic.of(r, names.get(r.machine_id, r.machine_id)) for r in reliability],
            machine_ids,
        ),
    )


def _summary(
    line: Line, line_total: Sequence[OeeResult], machine_totals: Sequence[OeeResult]
) -> ReportSummaryPublic:
    by_machine = {r.subject_id: r for r in machine_totals}
    return ReportSummaryPublic(
        line=SubjectFiguresPublic.of(line_total[0], line.name) if line_total else None,
        machines=[
            SubjectFiguresPublic.of(by_machine[m.id], m.name)
            for m in line.machines
            if m.id in by_machine
        ],
    )


def period_label(start: datetime, period: ReportPeriod, zone: ZoneInfo, shift_name: str) -> str:
    """How a period is named in the plant's time: "2026-03-02 early", "2026-W10", "2026-03"."""
    local = start.astimezone(zone)
    if period == "shift":
        return f"{local:%Y-%m-%d} {shift_name}"
    if period == "day":
        return f"{local:%Y-%m-%d}"
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local:%Y-%m}"


def _trend(
    results: Sequence[OeeResult], period: ReportPeriod, zone: ZoneInfo
) -> list[TrendPointPublic]:
    return [
        TrendPointPublic(
            label=period_label(r.shift_start, period, zone, r.shift_name),
            start=r.shift_start,
            end=r.shift_end,
            figures=ReportFiguresPublic.of(r),
        )
        for r in sorted(results, key=lambda r: r.shift_start)
    ]


def _shift_comparison(
    shifts: Sequence[OeeResult], calendar_order: Sequence[str]
) -> list[ShiftComparisonPublic]:
    """The line per shift name (early, late, night) in calendar order, shifts combined.

    ``shift_count`` counts the shifts with data; a shift without any is no sample.
    """
    by_name: dict[str, list[OeeResult]] = {}
    for result in shifts:
        by_name.setdefault(result.shift_name, []).append(result)
    position = {name: i for i, name in enumerate(calendar_order)}
    return [
        ShiftComparisonPublic(
            shift_name=name,
            shift_count=sum(1 for r in group if r.planned_busy_s > 0),
            figures=ReportFiguresPublic.of(combine(group, name=name)),
        )
        for name, group in sorted(
            by_name.items(), key=lambda item: (position.get(item[0], len(position)), item[0])
        )
    ]


def _pareto(entries: Sequence[ParetoEntry]) -> list[ParetoBarPublic]:
    total = sum(e.seconds for e in entries)
    bars = []
    cumulative = 0.0
    for entry in sorted(entries, key=lambda e: e.seconds, reverse=True):
        cumulative += entry.seconds
        bars.append(
            ParetoBarPublic(
                reason=entry.reason,
                fault_code=entry.fault_code,
                seconds=entry.seconds,
                count=entry.count,
                share=entry.seconds / total if total > 0 else 0.0,
                cumulative_share=cumulative / total if total > 0 else 0.0,
            )
        )
    return bars


def _in_line_order(
    rows: Sequence[ReliabilityPublic], machine_ids: Sequence[str]
) -> list[ReliabilityPublic]:
    position: Mapping[str, int] = {machine_id: i for i, machine_id in enumerate(machine_ids)}
    return sorted(rows, key=lambda r: position.get(r.machine_id, len(position)))
