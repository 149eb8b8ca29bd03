"""The charts of the PDF report, drawn with fpdf2's lines and rectangles (no images).

- The trend: A, P, Q and OEE per period on a 0-100 % scale. A period with a
  data problem is shaded amber and has no P and OEE point; one without data is
  shaded grey and has no point at all.
- The Pareto: downtime per reason as horizontal bars, largest first, with the
  cumulative share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import StrokeJoinStyle

from api.report_pdf_style import (
    ACCENT,
    AMBER,
    GREEN,
    GRID,
    INK,
    MUTED,
    NO_DATA,
    PALE_AMBER,
    PURPLE,
    Rgb,
    latin1,
)
from api.report_pdf_tables import fit_text
from api.schemas.reports import (
    ParetoBarPublic,
    ReportFiguresPublic,
    ReportPeriod,
    TrendPointPublic,
)


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class _Series:
    label: str
    colour: Rgb
    width: float
    value: Callable[[ReportFiguresPublic], float | None]


_SERIES = (
    _Series("Availability", GREEN, 0.35, lambda f: f.availability),
    _Series("Performance", AMBER, 0.35, lambda f: f.performance),
    _Series("Quality", PURPLE, 0.35, lambda f: f.quality),
    _Series("OEE", ACCENT, 0.9, lambda f: f.oee),
)
_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _colour(pdf: FPDF, *, draw: Rgb | None = None, fill: Rgb | None = None) -> None:
    if draw is not None:
        pdf.set_draw_color(*draw)
    if fill is not None:
        pdf.set_fill_color(*fill)


def point_label(point: TrendPointPublic, period: ReportPeriod, zone: ZoneInfo) -> str:
    """A short axis label: "02 Mar", "02 Mar early", "2026-W10", "2026-03"."""
    if period in ("week", "month"):
        return point.label
    day = f"{point.start.astimezone(zone):%d %b}"
    if period == "day":
        return day
    _, _, shift_name = point.label.partition(" ")
    return f"{day} {shift_name}"


def draw_trend(
    pdf: FPDF, box: Box, points: Sequence[TrendPointPublic], period: ReportPeriod, zone: ZoneInfo
) -> None:
    """The trend chart inside ``box``, with its legend along the bottom edge."""
    plot = Box(box.x + 11, box.y + 2, box.w - 13, box.h - 16)
    if not points:
        _grid(pdf, plot)
        pdf.set_font("helvetica", "I", 9)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(plot.x, plot.y + plot.h / 2 - 3)
        pdf.cell(plot.w, 6, "No OEE results in this range", align="C")
        return
    slot = plot.w / len(points)
    _shade_problem_periods(pdf, plot, points, slot)
    _grid(pdf, plot)
    for series in _SERIES:
        _polyline(pdf, plot, [series.value(p.figures) for p in points], slot, series)
    _x_labels(pdf, plot, [point_label(p, period, zone) for p in points], slot)
    _legend(pdf, box.x + 11, box.y + box.h - 4)


def _y(plot: Box, value: float) -> float:
    return plot.y + plot.h * (1 - max(0.0, min(1.0, value)))


def _grid(pdf: FPDF, plot: Box) -> None:
    pdf.set_line_width(0.15)
    _colour(pdf, draw=GRID)
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*MUTED)
    for tick in _TICKS:
        y = _y(plot, tick)
        pdf.line(plot.x, y, plot.x + plot.w, y)
        pdf.set_xy(plot.x - 11, y - 2)
        pdf.cell(10, 4, f"{tick * 100:.0f} %", align="R")


def _shade_problem_periods(
    pdf: FPDF, plot: Box, points: Sequence[TrendPointPublic], slot: float
) -> None:
    for i, point in enumerate(points):
        figures = point.figures
        if figures.planned_busy_s <= 0:
            _colour(pdf, fill=NO_DATA)
        elif figures.performance_flagged:
            _colour(pdf, fill=PALE_AMBER)
        else:
            continue
        pdf.rect(plot.x + i * slot, plot.y, slot, plot.h, style="F")


def _polyline(
    pdf: FPDF, plot: Box, values: Sequence[float | None], slot: float, series: _Series
) -> None:
    """The series as connected runs; a missing value breaks the line."""
    pdf.set_line_width(series.width)
    _colour(pdf, draw=series.colour, fill=series.colour)
    run: list[tuple[float, float]] = []
    for i, value in enumerate([*values, None]):
        if value is not None:
            run.append((plot.x + (i + 0.5) * slot, _y(plot, value)))
            continue
        if len(run) > 1:
            # Round joins: a sharp dip must not overshoot its point with a mitre spike.
            with pdf.local_context(stroke_join_style=StrokeJoinStyle.ROUND):
                pdf.polyline(run)
        if series.width > 0.5 or len(run) == 1:
            for x, y in run:
                pdf.circle(x, y, 0.7 if series.width > 0.5 else 0.4, style="F")
        run = []


def _x_labels(pdf: FPDF, plot: Box, labels: Sequence[str], slot: float) -> None:
    pdf.set_font("helvetica", "", 6.5)
    pdf.set_text_color(*MUTED)
    widest = max(pdf.get_string_width(latin1(label)) for label in labels)
    every = max(1, math.ceil((widest + 2) / slot))
    drawn_to = float("-inf")
    for i in range(0, len(labels), every):
        text = latin1(labels[i])
        half = pdf.get_string_width(text) / 2 + 0.5
        # The first and last labels may be wider than their slots: they may reach into
        # the axis gutter and the margin, not past them; one pushed onto its neighbour
        # is left out.
        right_edge = plot.x + plot.w + 2
        centre = max(plot.x - 10 + half, min(right_edge - half, plot.x + (i + 0.5) * slot))
        if centre - half < drawn_to + 1:
            continue
        pdf.set_xy(centre - half, plot.y + plot.h + 1)
        pdf.cell(2 * half, 4, text, align="C")
        drawn_to = centre + half


def _legend(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*INK)
    for series in _SERIES:
        pdf.set_line_width(series.width)
        _colour(pdf, draw=series.colour)
        pdf.line(x, y + 2, x + 6, y + 2)
        pdf.set_xy(x + 7, y)
        pdf.cell(20, 4, series.label)
        x += 8 + pdf.get_string_width(series.label) + 4
    for label, fill in (("data problem", PALE_AMBER), ("no data", NO_DATA)):
        _colour(pdf, fill=fill)
        pdf.rect(x, y + 0.5, 4, 3, style="F")
        pdf.set_xy(x + 5, y)
        pdf.cell(20, 4, label)
        x += 6 + pdf.get_string_width(label) + 4


def draw_pareto(pdf: FPDF, x: float, y: float, w: float, bars: Sequence[ParetoBarPublic]) -> float:
    """Horizontal bars, one per reason; returns the height used."""
    row_h = 6.5
    label_w, value_w = 58.0, 50.0
    bar_w = w - label_w - value_w
    longest = max((b.seconds for b in bars), default=0.0)
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x + label_w + bar_w, y)
    pdf.cell(value_w, 4, "hours · stops · share (cumulative)", align="R")
    y += 5
    for i, bar in enumerate(bars):
        top = y + i * row_h
        reason = bar.reason if bar.fault_code is None else f"{bar.reason} ({bar.fault_code})"
        pdf.set_font("helvetica", "", 8)
        pdf.set_text_color(*INK)
        pdf.set_xy(x, top)
        pdf.cell(label_w - 2, row_h - 1, fit_text(pdf, reason, label_w - 2))
        length = bar_w * (bar.seconds / longest) if longest > 0 else 0.0
        _colour(pdf, fill=ACCENT if i == 0 else (0x6F, 0x9B, 0xD4))
        pdf.rect(x + label_w, top + 1, max(length, 0.3), row_h - 3, style="F")
        pdf.set_xy(x + label_w + bar_w, top)
        pdf.cell(
            value_w,
            row_h - 1,
            latin1(
                f"{bar.seconds / 3600:.1f} h · {bar.count} · "
                f"{bar.share * 100:.0f} % ({bar.cumulative_share * 100:.0f} %)"
            ),
            align="R",
        )
    return 5 + len(bars) * row_h
