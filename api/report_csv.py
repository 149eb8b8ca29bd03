"""A line's OEE report as one CSV file in sections, for spreadsheets.

Each section is a title row, a header row and its rows, then an empty row.
Ratios are percentages, times hours (stops: minutes), timestamps ISO 8601 in the
plant's local time with the offset. An empty cell is no figure: no data, or a
performance above 100 % that the "Data problem" column names. The file starts
with a byte order mark so that spreadsheet programs read it as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from api.schemas.reports import LineReportPublic, ReportFiguresPublic, SubjectFiguresPublic

Cell = str | int | float
_FIGURE_HEADER = ("Availability %", "Performance %", "Quality %", "OEE %", "Data problem")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _count(value: float) -> str:
    return f"{value:.0f}"


def data_problem(figures: ReportFiguresPublic) -> str:
    """What is wrong with the data behind a figure, or "" when nothing is."""
    if figures.planned_busy_s <= 0:
        return "no data"
    if figures.performance_flagged:
        return "performance above 100 %: check ideal cycle time and counters"
    return ""


def _ratios(figures: ReportFiguresPublic) -> list[Cell]:
    return [
        _pct(figures.availability),
        _pct(figures.performance),
        _pct(figures.quality),
        _pct(figures.oee),
        data_problem(figures),
    ]


Section = tuple[str, Sequence[str], list[list[Cell]]]


def render_csv(report: LineReportPublic) -> bytes:
    """The whole report: header facts, summary, losses, trend, shifts, Pareto, MTBF, stops."""
    zone = ZoneInfo(report.site.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for title, header, rows in (
        _facts(report, zone),
        _summary(report),
        _losses(report),
        _trend(report, zone),
        _shifts(report),
        _pareto(report),
        _reliability(report),
        _downtimes(report, zone),
    ):
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _time(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat()


def _facts(report: LineReportPublic, zone: ZoneInfo) -> Section:
    return (
        "LineCare OEE report",
        ("Field", "Value"),
        [
            ["Line", f"{report.line.name} ({report.line.id})"],
            ["Model / serial", f"{report.line.model} / {report.line.serial}"],
            ["Customer", report.customer.name],
            ["Site", report.site.name],
            ["From", _time(report.since, zone)],
            ["To", _time(report.until, zone)],
            ["Trend by", report.period],
            ["Time zone", report.site.timezone],
        ],
    )


def _subjects(report: LineReportPublic) -> list[tuple[str, SubjectFiguresPublic]]:
    line = [("line", report.summary.line)] if report.summary.line is not None else []
    return [*line, *(("machine", m) for m in report.summary.machines)]


def _summary(report: LineReportPublic) -> Section:
    times = ("Planned busy", "Running", "Setup", "Breakdown", "Stop", "Idle", "Unknown")
    return (
        "Summary",
        ("Subject", "Name", *_FIGURE_HEADER, *(f"{t} h" for t in times), "Good", "Rejects"),
        [
            [
                kind,
                s.name,
                *_ratios(s.figures),
                *(
                    _hours(seconds)
                    for seconds in (
                        s.figures.planned_busy_s,
                        s.figures.running_s,
                        s.figures.setup_s,
                        s.figures.breakdown_s,
                        s.figures.stop_s,
                        s.figures.idle_s,
                        s.figures.unknown_s,
                    )
                ),
                _count(s.figures.good_count),
                _count(s.figures.reject_count),
            ]
            for kind, s in _subjects(report)
        ],
    )


def _losses(report: LineReportPublic) -> Section:
    return (
        "Six big losses",
        ("Subject", "Name", "Loss", "Group", "Hours", "Count"),
        [
            [kind, s.name, loss.label, loss.group, _hours(loss.seconds), _count(loss.count)]
            for kind, s in _subjects(report)
            for loss in s.losses
        ],
    )


def _trend(report: LineReportPublic, zone: ZoneInfo) -> Section:
    return (
        f"Trend by {report.period}",
        ("Period", "Start", "End", *_FIGURE_HEADER, "Planned busy h", "Unknown h"),
        [
            [
                p.label,
                _time(p.start, zone),
                _time(p.end, zone),
                *_ratios(p.figures),
                _hours(p.figures.planned_busy_s),
                _hours(p.figures.unknown_s),
            ]
            for p in report.trend
        ],
    )


def _shifts(report: LineReportPublic) -> Section:
    return (
        "Shift comparison",
        (
            "Shift",
            "Shifts with data",
            *_FIGURE_HEADER,
            "Planned busy h",
            "Unknown h",
            "Good",
            "Rejects",
        ),
        [
            [
                s.shift_name,
                s.shift_count,
                *_ratios(s.figures),
                _hours(s.figures.planned_busy_s),
                _hours(s.figures.unknown_s),
                _count(s.figures.good_count),
                _count(s.figures.reject_count),
            ]
            for s in report.shift_comparison
        ],
    )


def _code(fault_code: int | None) -> Cell:
    return "" if fault_code is None else fault_code


def _pareto(report: LineReportPublic) -> Section:
    return (
        "Downtime Pareto",
        ("Reason", "Fault code", "Hours", "Stops", "Share %", "Cumulative %"),
        [
            [
                b.reason,
                _code(b.fault_code),
                _hours(b.seconds),
                b.count,
                _pct(b.share),
                _pct(b.cumulative_share),
            ]
            for b in report.pareto
        ],
    )


def _reliability(report: LineReportPublic) -> Section:
    return (
        "MTBF and MTTR",
        ("Machine", "Failures", "Running h", "Repair h", "MTBF h", "MTTR h"),
        [
            [
                r.machine_name,
                r.failures,
                _hours(r.running_s),
                _hours(r.repair_s),
                _hours(r.mtbf_s),
                _hours(r.mttr_s),
            ]
            for r in report.reliability
        ],
    )


def _downtimes(report: LineReportPublic, zone: ZoneInfo) -> Section:
    title = "Downtimes"
    if report.downtimes_truncated:
        title = f"Downtimes (the first {report.downtime_limit}; the range holds more)"
    return (
        title,
        ("Machine", "Start", "End", "Minutes", "Lost minutes", "Category", "Fault code", "Reason"),
        [
            [
                d.machine_name,
                _time(d.start, zone),
                _time(d.end, zone),
                f"{d.duration_s / 60:.1f}",
                f"{d.lost_s / 60:.1f}",
                d.category,
                _code(d.fault_code),
                d.reason,
            ]
            for d in report.downtimes
        ],
    )
