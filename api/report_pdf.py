"""A line's OEE report as a PDF a plant manager can print or forward.

A4 portrait: the line, customer and period in a header band; A, P, Q and OEE as
tiles; the trend chart; machines with MTBF and MTTR; the six big losses; the
shift comparison; the downtime Pareto; the longest stops (all stops are in the
CSV). A performance above 100 % reads "data problem", never as a figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from api.report_pdf_charts import Box, draw_pareto, draw_trend
from api.report_pdf_style import (
    ACCENT,
    AMBER,
    INK,
    MUTED,
    NAVY,
    NAVY_SUB,
    PANEL,
    Rgb,
    latin1,
    level_colour,
)
from api.report_pdf_tables import Bar, Cell, Column, Text, draw_table
from api.schemas.reports import (
    LineReportPublic,
    LossPublic,
    ReliabilityPublic,
    ReportFiguresPublic,
    SubjectFiguresPublic,
)
from models.oee import LossCategory

MARGIN = 15.0
CONTENT_W = 180.0
TREND_H = 62.0
PARETO_BARS = 12
LONGEST_STOPS = 25
_LOSS_COLOURS: dict[str, Rgb] = {"availability": (0xD6, 0x45, 0x45), "performance": AMBER}


class _ReportDocument(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = latin1(footer_text)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", "", 7)
        self.set_text_color(*MUTED)
        self.cell(CONTENT_W / 2, 5, self._footer_text)
        self.cell(CONTENT_W / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def render_pdf(report: LineReportPublic) -> bytes:
    """The whole report as PDF bytes."""
    zone = ZoneInfo(report.site.timezone)
    period = f"{_day(report.since, zone)} - {_day(report.until, zone)}"
    pdf = _ReportDocument(f"LineCare OEE report · {report.line.name} · {period}")
    pdf.set_title(latin1(f"OEE report {report.line.name}, {period}"))
    pdf.set_author(latin1(f"LineCare for {report.customer.name}"))
    pdf.set_creator("LineCare")
    pdf.add_page()
    _header_band(pdf, report, zone)
    _kpi_tiles(pdf, report.summary.line.figures if report.summary.line else None)
    _coverage_note(pdf, report.summary.line.figures if report.summary.line else None)
    _section(pdf, f"Trend by {report.period}", TREND_H)
    top = pdf.get_y()
    draw_trend(pdf, Box(MARGIN, top, CONTENT_W, TREND_H), report.trend, report.period, zone)
    pdf.set_y(top + TREND_H + 2)
    _section(pdf, "Line and machines over the range", 30)
    _machines_table(pdf, report)
    _section(pdf, "Six big losses of the line (line hours: the line as a whole)", 45)
    _losses_table(pdf, report.summary.line.losses if report.summary.line else [])
    _section(pdf, "Shift comparison (times and counts summed over the range)", 30)
    _shift_table(pdf, report)
    _section(pdf, "Downtime by reason (Pareto, machine-hours)", 40)
    bars = report.pareto[:PARETO_BARS]
    if bars:
        # The same stop on three machines is three machine-hours here, one in the losses.
        _muted_line(pdf, "Each machine's stops counted: a stop on three machines counts thrice.")
        top = pdf.get_y()
        pdf.set_y(top + draw_pareto(pdf, MARGIN, top, CONTENT_W, bars) + 2)
    else:
        _muted_line(pdf, "No downtime in this range.")
    _section(pdf, _stops_title(report), 30)
    _stops_table(pdf, report, zone)
    return bytes(pdf.output())


def _day(value: datetime, zone: ZoneInfo) -> str:
    return f"{value.astimezone(zone):%d %b %Y %H:%M}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _hours(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 3600:.1f}"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _header_band(pdf: FPDF, report: LineReportPublic, zone: ZoneInfo) -> None:
    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, 210, 32, style="F")
    pdf.set_fill_color(0x3F, 0xB3, 0x7F)
    pdf.polygon([(MARGIN, 9), (MARGIN + 8, 9), (MARGIN, 17)], style="F")
    pdf.set_fill_color(0x3A, 0x78, 0xC9)
    pdf.polygon([(MARGIN + 8, 9), (MARGIN + 8, 17), (MARGIN, 17)], style="F")
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_font("helvetica", "B", 8)
    pdf.set_xy(MARGIN + 11, 8)
    pdf.cell(60, 4, "LINECARE · OEE REPORT")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("helvetica", "B", 17)
    pdf.set_xy(MARGIN + 11, 12.5)
    pdf.cell(100, 8, latin1(report.line.name))
    pdf.set_font("helvetica", "", 8.5)
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_xy(MARGIN + 11, 21)
    pdf.cell(
        110,
        5,
        latin1(
            f"{report.customer.name} · {report.site.name} · "
            f"{report.line.model} S/N {report.line.serial}"
        ),
    )
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("helvetica", "B", 9.5)
    pdf.set_xy(115, 10)
    pdf.cell(80, 5, f"{_day(report.since, zone)} -", align="R")
    pdf.set_xy(115, 15)
    pdf.cell(80, 5, _day(report.until, zone), align="R")
    pdf.set_font("helvetica", "", 8)
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_xy(115, 21)
    pdf.cell(80, 5, latin1(f"trend by {report.period} · times {report.site.timezone}"), align="R")
    pdf.set_y(38)


def _kpi_tiles(pdf: FPDF, figures: ReportFiguresPublic | None) -> None:
    gap, height = 4.0, 25.0
    width = (CONTENT_W - 3 * gap) / 4
    top = pdf.get_y()
    tiles = (
        ("Availability", figures.availability if figures else None, False),
        ("Performance", figures.performance if figures else None, True),
        ("Quality", figures.quality if figures else None, False),
        ("OEE", figures.oee if figures else None, True),
    )
    for i, (label, value, may_be_flagged) in enumerate(tiles):
        x = MARGIN + i * (width + gap)
        flagged = figures is not None and figures.performance_flagged and may_be_flagged
        _tile(pdf, Box(x, top, width, height), label, value, flagged=flagged)
    pdf.set_y(top + height + 3)


def _tile(pdf: FPDF, box: Box, label: str, value: float | None, *, flagged: bool) -> None:
    pdf.set_fill_color(*PANEL)
    pdf.rect(box.x, box.y, box.w, box.h, style="F", round_corners=True, corner_radius=2)
    pdf.set_xy(box.x + 4, box.y + 3)
    pdf.set_font("helvetica", "B" if label == "OEE" else "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(box.w - 8, 4, label.upper())
    pdf.set_xy(box.x + 4, box.y + 8.5)
    if flagged:
        pdf.set_font("helvetica", "B", 12)
        pdf.set_text_color(*AMBER)
        pdf.cell(box.w - 8, 7, "data problem")
        pdf.set_xy(box.x + 4, box.y + 16)
        pdf.set_font("helvetica", "", 6.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(
            box.w - 8, 3, "performance above 100 %: check cycle times and counters", align="L"
        )
        return
    pdf.set_font("helvetica", "B", 20)
    pdf.set_text_color(*level_colour(value))
    pdf.cell(box.w - 8, 9, "no data" if value is None else _pct(value))
    pdf.set_fill_color(0xE2, 0xE6, 0xEC)
    pdf.rect(box.x + 4, box.y + box.h - 5, box.w - 8, 1.6, style="F")
    if value is not None and value > 0:
        pdf.set_fill_color(*level_colour(value))
        pdf.rect(box.x + 4, box.y + box.h - 5, (box.w - 8) * min(1.0, value), 1.6, style="F")


def _coverage_note(pdf: FPDF, figures: ReportFiguresPublic | None) -> None:
    if figures is None:
        _muted_line(pdf, "No OEE results for this line in this range.")
        return
    observed = figures.planned_busy_s + figures.unknown_s
    unknown_share = figures.unknown_s / observed if observed > 0 else 0.0
    parts = figures.good_count + figures.reject_count
    reject_share = figures.reject_count / parts if parts > 0 else 0.0
    _muted_line(
        pdf,
        f"Planned busy time {_hours(figures.planned_busy_s)} h · without data (unknown, left out)"
        f" {_hours(figures.unknown_s)} h ({unknown_share * 100:.1f} %) · good parts"
        f" {figures.good_count:,.0f} · rejects {figures.reject_count:,.0f}"
        f" ({reject_share * 100:.1f} %)",
    )


def _muted_line(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(CONTENT_W, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _section(pdf: FPDF, title: str, keep_with: float) -> None:
    """A section title, on a new page when fewer than ``keep_with`` mm would follow it."""
    if pdf.get_y() + 9 + keep_with > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_y(pdf.get_y() + 3)
    pdf.set_font("helvetica", "B", 10.5)
    pdf.set_text_color(*INK)
    pdf.cell(CONTENT_W, 6, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + 12, pdf.get_y())
    pdf.set_y(pdf.get_y() + 2)


def _ratio_cells(figures: ReportFiguresPublic) -> list[Cell]:
    if figures.planned_busy_s <= 0:
        return [Text("no data", MUTED)] * 4
    problem = Text("data problem", AMBER, bold=True, size=7)
    return [
        Text(_pct(figures.availability), level_colour(figures.availability)),
        problem if figures.performance is None else Text(_pct(figures.performance)),
        Text(_pct(figures.quality)),
        problem
        if figures.oee is None
        else Text(_pct(figures.oee), level_colour(figures.oee), True),
    ]


def _machines_table(pdf: FPDF, report: LineReportPublic) -> None:
    columns = [
        Column("Line / machine", 38),
        Column("Availability", 20, "R"),
        Column("Performance", 20, "R"),
        Column("Quality", 18, "R"),
        Column("OEE", 18, "R"),
        Column("No data h", 18, "R"),
        Column("Failures", 14, "R"),
        Column("MTBF h", 17, "R"),
        Column("MTTR h", 17, "R"),
    ]
    reliability = {r.machine_id: r for r in report.reliability}
    rows: list[list[Cell]] = []
    if report.summary.line is not None:
        rows.append(_subject_row(report.summary.line, None, bold=True))
    rows += [
        _subject_row(m, reliability.get(m.subject_id), bold=False) for m in report.summary.machines
    ]
    draw_table(pdf, columns, rows, empty="No OEE results in this range.")


def _subject_row(
    subject: SubjectFiguresPublic, reliability: ReliabilityPublic | None, *, bold: bool
) -> list[Cell]:
    figures = subject.figures
    return [
        Text(subject.name, bold=bold),
        *_ratio_cells(figures),
        _hours(figures.unknown_s),
        "" if reliability is None else str(reliability.failures),
        "" if reliability is None else _hours(reliability.mtbf_s),
        "" if reliability is None else _hours(reliability.mttr_s),
    ]


def _losses_table(pdf: FPDF, losses: Sequence[LossPublic]) -> None:
    columns = [
        Column("Loss", 42),
        Column("Lowers", 26),
        Column("Hours", 18, "R"),
        Column("Stops / parts", 24, "R"),
        Column("", 70),
    ]
    longest = max((loss.seconds for loss in losses), default=0.0)
    rows: list[list[Cell]] = [
        [
            loss.label,
            Text(loss.group, MUTED),
            _hours(loss.seconds),
            "-" if loss.category is LossCategory.REDUCED_SPEED else f"{loss.count:,.0f}",
            Bar(
                loss.seconds / longest if longest > 0 else 0.0,
                _LOSS_COLOURS.get(loss.group, (0x8E, 0x5B, 0xB5)),
            ),
        ]
        for loss in losses
    ]
    draw_table(pdf, columns, rows, empty="No losses: no OEE results in this range.")


def _shift_table(pdf: FPDF, report: LineReportPublic) -> None:
    columns = [
        Column("Shift", 28),
        Column("Shifts", 16, "R"),
        Column("Availability", 22, "R"),
        Column("Performance", 22, "R"),
        Column("Quality", 22, "R"),
        Column("OEE", 22, "R"),
        Column("Planned h", 24, "R"),
        Column("No data h", 24, "R"),
    ]
    rows: list[list[Cell]] = [
        [
            Text(s.shift_name, bold=True),
            str(s.shift_count),
            *_ratio_cells(s.figures),
            _hours(s.figures.planned_busy_s),
            _hours(s.figures.unknown_s),
        ]
        for s in report.shift_comparison
    ]
    draw_table(pdf, columns, rows, empty="No shifts in this range.")


def _stops_title(report: LineReportPublic) -> str:
    total = f"{len(report.downtimes)}{'+' if report.downtimes_truncated else ''}"
    if len(report.downtimes) <= LONGEST_STOPS:
        return f"Stops ({total}), most time lost first"
    return (
        f"The {LONGEST_STOPS} of {total} stops that cost most time"
        f" ({len(report.downtimes)} in the CSV)"
    )


def _stops_table(pdf: FPDF, report: LineReportPublic, zone: ZoneInfo) -> None:
    columns = [
        Column("Machine", 26),
        Column("Start", 30),
        Column("Duration", 20, "R"),
        Column("Lost", 20, "R"),
        Column("Category", 22),
        Column("Fault", 11, "R"),
        Column("Reason", 51),
    ]
    longest = sorted(report.downtimes, key=lambda d: d.lost_s, reverse=True)[:LONGEST_STOPS]
    rows: list[list[Cell]] = [
        [
            d.machine_name,
            f"{d.start.astimezone(zone):%a %d %b %H:%M}",
            _duration(d.duration_s),
            _duration(d.lost_s),
            d.category.replace("_", " "),
            "" if d.fault_code is None else str(d.fault_code),
            d.reason,
        ]
        for d in longest
    ]
    draw_table(pdf, columns, rows, empty="No stops in this range.")
