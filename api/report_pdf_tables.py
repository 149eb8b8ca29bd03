"""Tables for the PDF report: a header row, thin rules, coloured cells and in-cell bars.

A table that does not fit on the page goes on on the next one, header repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF

from api.report_pdf_style import GRID, INK, MUTED, PANEL, Rgb, latin1

ROW_H = 5.6


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    align: Literal["L", "R", "C"] = "L"


@dataclass(frozen=True, slots=True)
class Text:
    """A cell's text in a colour of its own, optionally bold."""

    text: str
    colour: Rgb = INK
    bold: bool = False
    size: float = 8


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar filling ``fraction`` of the cell's width."""

    fraction: float
    colour: Rgb


Cell = str | Text | Bar


def draw_table(
    pdf: FPDF, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, empty: str = ""
) -> None:
    """The table at the current position; ``empty`` is printed when there are no rows."""
    _header(pdf, columns)
    if not rows:
        pdf.set_font("helvetica", "I", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(sum(c.width for c in columns), ROW_H, latin1(empty), new_x="LMARGIN", new_y="NEXT")
        return
    for row in rows:
        if pdf.get_y() + ROW_H > pdf.page_break_trigger:
            pdf.add_page()
            _header(pdf, columns)
        _row(pdf, columns, row)


def _header(pdf: FPDF, columns: Sequence[Column]) -> None:
    pdf.set_font("helvetica", "B", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_fill_color(*PANEL)
    for column in columns:
        pdf.cell(column.width, ROW_H, latin1(column.title), align=column.align, fill=True)
    pdf.ln(ROW_H)


def _row(pdf: FPDF, columns: Sequence[Column], row: Sequence[Cell]) -> None:
    top = pdf.get_y()
    for column, cell in zip(columns, row, strict=True):
        if isinstance(cell, Bar):
            _bar(pdf, column.width, cell)
            continue
        text = cell if isinstance(cell, Text) else Text(cell)
        pdf.set_font("helvetica", "B" if text.bold else "", text.size)
        pdf.set_text_color(*text.colour)
        pdf.cell(
            column.width, ROW_H, fit_text(pdf, text.text, column.width - 1), align=column.align
        )
    pdf.set_draw_color(*GRID)
    pdf.set_line_width(0.1)
    width = sum(c.width for c in columns)
    pdf.line(pdf.l_margin, top + ROW_H, pdf.l_margin + width, top + ROW_H)
    pdf.ln(ROW_H)


def _bar(pdf: FPDF, width: float, bar: Bar) -> None:
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_fill_color(*GRID)
    pdf.rect(x + 1, y + 1.6, width - 2, ROW_H - 3.2, style="F")
    if bar.fraction > 0:
        pdf.set_fill_color(*bar.colour)
        pdf.rect(x + 1, y + 1.6, (width - 2) * min(1.0, bar.fraction), ROW_H - 3.2, style="F")
    pdf.set_x(x + width)


def fit_text(pdf: FPDF, text: str, width: float) -> str:
    """The text in the current font, cut with an ellipsis where it would run past ``width``."""
    text = latin1(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."
