"""The monthly service review as a PDF for the service manager's meeting.

A4 portrait in the OEE report's style (its palette, tables and fonts): the month
in a header band; the KPIs as tiles with the month before beside them; the
on-time and first-time-fix trend of six months as a chart; the figures per
month, customer, line model, fault type and engineer; the open backlog by age.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from fpdf import FPDF

from api.report_pdf_charts import Box
from api.report_pdf_style import (
    ACCENT,
    AMBER,
    GREEN,
    GRID,
    INK,
    MUTED,
    NAVY,
    NAVY_SUB,
    PANEL,
    PURPLE,
    Rgb,
    latin1,
    level_colour,
)
from api.report_pdf_tables import Bar, Cell, Column, Text, draw_table, fit_text
from api.schemas.service_kpis import (
    KpiFiguresPublic,
    KpiGroupPublic,
    RatioPublic,
    ServiceReviewPublic,
)

MARGIN = 15.0
CONTENT_W = 180.0
CHART_H = 58.0
_SERIES: tuple[tuple[str, Rgb, str], ...] = (
    ("Response on time", ACCENT, "response_on_time"),
    ("Arrival on time", PURPLE, "arrival_on_time"),
    ("Resolution on time", GREEN, "resolution_on_time"),
    ("First-time fix", AMBER, "first_time_fix"),
)


class _ReviewDocument(FPDF):
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


def render_review_pdf(review: ServiceReviewPublic) -> bytes:
    """The whole review as PDF bytes."""
    scope = "all customers" if review.customer_id is None else review.customer_id
    pdf = _ReviewDocument(f"LineCare service review · {review.month_label} · {scope}")
    pdf.set_title(latin1(f"Service review {review.month_label}"))
    pdf.set_author("LineCare")
    pdf.set_creator("LineCare")
    pdf.add_page()
    _header_band(pdf, review, scope)
    _tiles(pdf, review.month_figures, review.previous_month)
    _section(pdf, "On time and first-time fix, last six months", CHART_H)
    top = pdf.get_y()
    _trend_chart(pdf, Box(MARGIN, top, CONTENT_W, CHART_H), review.trend)
    pdf.set_y(top + CHART_H + 2)
    _section(pdf, "By month", 30)
    _muted_line(
        pdf,
        "Response, arrival, resolution: met on time · 1st fix: first-time fix"
        " · repeat: repeat faults · satisf.: mean overall score 1-5 · open: backlog at the end",
    )
    _groups_table(pdf, "Month", review.trend)
    _section(pdf, f"{review.month_label} by customer", 25)
    _groups_table(pdf, "Customer", review.by_customer)
    _section(pdf, f"{review.month_label} by line model", 25)
    _groups_table(pdf, "Line model", review.by_line_model)
    _section(pdf, f"{review.month_label} by fault type", 25)
    _groups_table(pdf, "Fault type", review.by_fault_type)
    if review.customer_id is None:
        _section(pdf, f"{review.month_label} by engineer", 25)
        _groups_table(pdf, "Engineer", review.by_engineer)
    _section(pdf, "Open backlog at the end of the month, by age", 35)
    _ageing_table(pdf, review.month_figures)
    pdf.set_y(pdf.get_y() + 2)
    _muted_line(pdf, "Definitions: docs/service_kpis.md. Times in " + review.timezone + ".")
    return bytes(pdf.output())


def _pct(ratio: RatioPublic) -> str:
    return "-" if ratio.rate is None else f"{ratio.rate * 100:.0f} %"


def _hours(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 3600:.1f} h"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} / 5"


def _header_band(pdf: FPDF, review: ServiceReviewPublic, scope: str) -> None:
    zone = ZoneInfo(review.timezone)
    pdf.set_fill_color(*NAVY)
    pdf.rect(0, 0, 210, 32, style="F")
    pdf.set_fill_color(0x3F, 0xB3, 0x7F)
    pdf.polygon([(MARGIN, 9), (MARGIN + 8, 9), (MARGIN, 17)], style="F")
    pdf.set_fill_color(0x3A, 0x78, 0xC9)
    pdf.polygon([(MARGIN + 8, 9), (MARGIN + 8, 17), (MARGIN, 17)], style="F")
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_font("helvetica", "B", 8)
    pdf.set_xy(MARGIN + 11, 8)
    pdf.cell(60, 4, "LINECARE · MONTHLY SERVICE REVIEW")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("helvetica", "B", 17)
    pdf.set_xy(MARGIN + 11, 12.5)
    pdf.cell(100, 8, latin1(review.month_label))
    pdf.set_font("helvetica", "", 8.5)
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_xy(MARGIN + 11, 21)
    pdf.cell(110, 5, latin1(f"Service KPIs · {scope}"))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("helvetica", "B", 9.5)
    first, last = review.since.astimezone(zone), review.until.astimezone(zone)
    pdf.set_xy(115, 12)
    pdf.cell(80, 5, f"{first:%d %b %Y %H:%M} - {last:%d %b %Y %H:%M}", align="R")
    pdf.set_font("helvetica", "", 8)
    pdf.set_text_color(*NAVY_SUB)
    pdf.set_xy(115, 18)
    pdf.cell(80, 5, latin1(f"times {review.timezone}"), align="R")
    pdf.set_y(38)


def _tiles(pdf: FPDF, now: KpiFiguresPublic, before: KpiGroupPublic) -> None:
    was = before.figures
    tiles: list[tuple[str, str, Rgb, str]] = [
        _ratio_tile("Response on time", now.response_on_time, was.response_on_time),
        _ratio_tile("Arrival on time", now.arrival_on_time, was.arrival_on_time),
        _ratio_tile("Resolution on time", now.resolution_on_time, was.resolution_on_time),
        _ratio_tile("First-time fix", now.first_time_fix, was.first_time_fix),
        (
            "MTTR",
            _hours(now.mttr_s),
            INK,
            f"{now.repairs} repairs · before {_hours(was.mttr_s)}",
        ),
        (
            "Repeat faults",
            _pct(now.repeat_faults),
            INK if not now.repeat_faults.hits else AMBER,
            f"{now.repeat_faults.hits} of {now.repeat_faults.total} · before"
            f" {_pct(was.repeat_faults)}",
        ),
        (
            "Satisfaction",
            _score(now.satisfaction),
            INK,
            f"{now.surveys} surveys · before {_score(was.satisfaction)}",
        ),
        (
            "Complaints",
            str(now.complaints),
            INK if not now.complaints else AMBER,
            f"before {was.complaints}",
        ),
        (
            "Open backlog",
            str(now.backlog_open),
            INK,
            f"at the month's end · before {was.backlog_open}",
        ),
        (
            "Received / fixed",
            f"{now.received} / {now.resolved}",
            INK,
            f"before {was.received} / {was.resolved}",
        ),
    ]
    gap, height = 3.0, 22.0
    width = (CONTENT_W - 4 * gap) / 5
    top = pdf.get_y()
    for i, (label, value, colour, note) in enumerate(tiles):
        x = MARGIN + (i % 5) * (width + gap)
        y = top + (i // 5) * (height + gap)
        _tile(pdf, Box(x, y, width, height), label, value, colour, note)
    pdf.set_y(top + 2 * height + gap + 3)


def _ratio_tile(label: str, now: RatioPublic, before: RatioPublic) -> tuple[str, str, Rgb, str]:
    return (
        label,
        _pct(now),
        level_colour(now.rate),
        f"{now.hits} of {now.total} · before {_pct(before)}",
    )


def _tile(pdf: FPDF, box: Box, label: str, value: str, colour: Rgb, note: str) -> None:
    pdf.set_fill_color(*PANEL)
    pdf.rect(box.x, box.y, box.w, box.h, style="F", round_corners=True, corner_radius=2)
    pdf.set_xy(box.x + 3, box.y + 3)
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*MUTED)
    pdf.cell(box.w - 6, 4, fit_text(pdf, label.upper(), box.w - 6))
    pdf.set_xy(box.x + 3, box.y + 8)
    pdf.set_font("helvetica", "B", 15)
    pdf.set_text_color(*colour)
    pdf.cell(box.w - 6, 8, latin1(value))
    pdf.set_xy(box.x + 3, box.y + 16.5)
    pdf.set_font("helvetica", "", 6)
    pdf.set_text_color(*MUTED)
    pdf.cell(box.w - 6, 3.5, fit_text(pdf, note, box.w - 6))


def _trend_chart(pdf: FPDF, box: Box, months: Sequence[KpiGroupPublic]) -> None:
    """The four rates per month on a 0-100 % scale; a month without a figure breaks the line."""
    plot = Box(box.x + 11, box.y + 2, box.w - 13, box.h - 16)
    pdf.set_line_width(0.15)
    pdf.set_draw_color(*GRID)
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*MUTED)
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = plot.y + plot.h * (1 - tick)
        pdf.line(plot.x, y, plot.x + plot.w, y)
        pdf.set_xy(plot.x - 11, y - 2)
        pdf.cell(10, 4, f"{tick * 100:.0f} %", align="R")
    slot = plot.w / max(1, len(months))
    for i, month in enumerate(months):
        pdf.set_xy(plot.x + i * slot, plot.y + plot.h + 1)
        pdf.cell(slot, 4, latin1(month.label), align="C")
    for _, colour, name in _SERIES:
        rates = [getattr(m.figures, name).rate for m in months]
        points = [
            (plot.x + (i + 0.5) * slot, plot.y + plot.h * (1 - rate))
            for i, rate in enumerate(rates)
            if rate is not None
        ]
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_line_width(0.5)
        for i in range(len(rates) - 1):
            a, b = rates[i], rates[i + 1]
            if a is not None and b is not None:
                pdf.line(
                    plot.x + (i + 0.5) * slot,
                    plot.y + plot.h * (1 - a),
                    plot.x + (i + 1.5) * slot,
                    plot.y + plot.h * (1 - b),
                )
        for x, y in points:
            pdf.circle(x, y, 0.8, style="F")
    x, y = box.x + 11, box.y + box.h - 5
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*INK)
    for label, colour, _ in _SERIES:
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.6)
        pdf.line(x, y + 2, x + 6, y + 2)
        pdf.set_xy(x + 7, y)
        pdf.cell(30, 4, label)
        x += 10 + pdf.get_string_width(label) + 4


def _rate_cell(ratio: RatioPublic) -> Cell:
    return Text(_pct(ratio), level_colour(ratio.rate) if ratio.total else MUTED)


def _groups_table(pdf: FPDF, what: str, groups: Sequence[KpiGroupPublic]) -> None:
    columns = [
        Column(what, 52),
        Column("Recv.", 10, "R"),
        Column("Response", 15, "R"),
        Column("Arrival", 13, "R"),
        Column("Resolution", 16, "R"),
        Column("1st fix", 12, "R"),
        Column("MTTR", 13, "R"),
        Column("Repeat", 13, "R"),
        Column("Satisf.", 12, "R"),
        Column("Compl.", 12, "R"),
        Column("Open", 10, "R"),
    ]
    rows: list[list[Cell]] = [
        [
            Text(g.label, bold=True),
            str(g.figures.received),
            _rate_cell(g.figures.response_on_time),
            _rate_cell(g.figures.arrival_on_time),
            _rate_cell(g.figures.resolution_on_time),
            _rate_cell(g.figures.first_time_fix),
            _hours(g.figures.mttr_s),
            _pct(g.figures.repeat_faults),
            "-" if g.figures.satisfaction is None else f"{g.figures.satisfaction:.1f}",
            str(g.figures.complaints),
            str(g.figures.backlog_open),
        ]
        for g in groups
    ]
    draw_table(pdf, columns, rows, empty="Nothing happened in this month.")


def _ageing_table(pdf: FPDF, figures: KpiFiguresPublic) -> None:
    columns = [Column("Age", 40), Column("Open tickets", 25, "R"), Column("", 115)]
    most = max((b.count for b in figures.backlog), default=0)
    rows: list[list[Cell]] = [
        [
            band.label,
            str(band.count),
            Bar(band.count / most if most else 0.0, AMBER if i >= 3 else ACCENT),
        ]
        for i, band in enumerate(figures.backlog)
    ]
    draw_table(pdf, columns, rows, empty="No open tickets.")


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


def _muted_line(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(CONTENT_W, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
