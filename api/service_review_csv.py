"""The monthly service review as one CSV file in sections, for spreadsheets.

Like the OEE report's CSV: each section is a title row, a header row and its
rows, then an empty row; rates are percentages, MTTR hours, an empty cell no
figure (nothing to rate). Starts with a byte order mark so that spreadsheet
programs read it as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from api.schemas.service_kpis import (
    KpiFiguresPublic,
    KpiGroupPublic,
    RatioPublic,
    ServiceReviewPublic,
)

Cell = str | int
Section = tuple[str, Sequence[str], list[list[Cell]]]

FIGURE_HEADER = (
    "Received",
    "Resolved",
    "Response on time %",
    "Responses due",
    "Arrival on time %",
    "Arrivals due",
    "Resolution on time %",
    "Resolutions due",
    "First-time fix %",
    "Visited fixes",
    "MTTR h",
    "Repairs",
    "Repeat faults %",
    "Faults with code",
    "Satisfaction (1-5)",
    "Surveys",
    "Complaints",
    "Open backlog",
)


def pct(ratio: RatioPublic) -> str:
    return "" if ratio.rate is None else f"{ratio.rate * 100:.1f}"


def hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def figure_cells(f: KpiFiguresPublic) -> list[Cell]:
    """The figures in the order of ``FIGURE_HEADER``."""
    return [
        f.received,
        f.resolved,
        pct(f.response_on_time),
        f.response_on_time.total,
        pct(f.arrival_on_time),
        f.arrival_on_time.total,
        pct(f.resolution_on_time),
        f.resolution_on_time.total,
        pct(f.first_time_fix),
        f.first_time_fix.total,
        hours(f.mttr_s),
        f.repairs,
        pct(f.repeat_faults),
        f.repeat_faults.total,
        "" if f.satisfaction is None else f"{f.satisfaction:.2f}",
        f.surveys,
        f.complaints,
        f.backlog_open,
    ]


def render_review_csv(review: ServiceReviewPublic) -> bytes:
    """The whole review: facts, the month against the month before, trend, breakdowns, ageing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    sections: list[Section] = [
        _facts(review),
        _month_against_previous(review),
        _groups("Trend by month", "Month", review.trend),
        _groups("By customer", "Customer", review.by_customer),
        _groups("By line model", "Line model", review.by_line_model),
        _groups("By fault type", "Fault type", review.by_fault_type),
    ]
    if review.customer_id is None:
        sections.append(_groups("By engineer", "Engineer", review.by_engineer))
    sections.append(_ageing(review))
    for title, header, rows in sections:
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _facts(review: ServiceReviewPublic) -> Section:
    return (
        "Service review",
        ("Fact", "Value"),
        [
            ["Month", review.month],
            ["From", review.since.isoformat()],
            ["Until (excluded)", review.until.isoformat()],
            ["Time zone", review.timezone],
            ["Customer", review.customer_id or "all customers"],
        ],
    )


def _month_against_previous(review: ServiceReviewPublic) -> Section:
    now, before = review.month_figures, review.previous_month.figures
    return (
        f"{review.month_label} against {review.previous_month.label}",
        ("KPI", review.month_label, review.previous_month.label),
        [
            [name, this, that]
            for name, this, that in zip(
                FIGURE_HEADER, figure_cells(now), figure_cells(before), strict=True
            )
        ],
    )


def _groups(title: str, what: str, groups: Sequence[KpiGroupPublic]) -> Section:
    return (
        title,
        (what, *FIGURE_HEADER),
        [[g.label, *figure_cells(g.figures)] for g in groups],
    )


def _ageing(review: ServiceReviewPublic) -> Section:
    return (
        f"Open backlog at {review.until.isoformat()} by age",
        ("Age", "Open tickets"),
        [[band.label, band.count] for band in review.month_figures.backlog],
    )
