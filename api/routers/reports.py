"""GET /api/v1/reports/lines/{line_id}: a line's OEE report as JSON, or as a CSV or PDF download.

All three take the same query and answer the same way: 404 for a line the user
may not see, 422 for a range the report cannot cover.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.access_scope import line_for, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.oee_report_builder import build_line_report, line_clock
from api.report_csv import render_csv
from api.report_pdf import render_pdf
from api.report_range import report_range
from api.schemas.reports import LineReportPublic, ReportPeriod

router = APIRouter(prefix="/reports", tags=["reports"])


async def load_line_report(
    line_id: str,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    since: Annotated[datetime | None, Query(description="Default: 7 days before until")] = None,
    until: Annotated[datetime | None, Query(description="Default: the line's newest data")] = None,
    period: Annotated[ReportPeriod, Query(description="How the trend is grouped")] = "day",
) -> LineReportPublic:
    """The report the query asks for; 404 for another customer's line, 422 for a bad range."""
    placement = line_for(plant, user, line_id)
    scope = scope_of(user)
    anchor = await line_clock(conn, placement.line, scope=scope) if until is None else None
    window = report_range(since, until, anchor=anchor, period=period)
    return await build_line_report(
        conn, placement=placement, window=window, period=period, scope=scope
    )


LineReportDep = Annotated[LineReportPublic, Depends(load_line_report)]


@router.get("/lines/{line_id}")
async def line_report(report: LineReportDep) -> LineReportPublic:
    """A, P, Q and OEE of the line and its machines, trend, losses, Pareto, shifts, stops."""
    return report


@router.get(
    "/lines/{line_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The report as CSV sections"}},
)
async def line_report_csv(report: LineReportDep) -> Response:
    """The report as a CSV file in sections, for spreadsheets."""
    return Response(
        content=render_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(report, "csv")},
    )


@router.get(
    "/lines/{line_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The printable report"}},
)
async def line_report_pdf(report: LineReportDep) -> Response:
    """The printable report: figures, trend chart, losses, Pareto and the longest stops."""
    # Laying out pages is CPU work: off the event loop, so other requests keep flowing.
    content = await run_in_threadpool(render_pdf, report)
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": _attachment(report, "pdf")},
    )


def _attachment(report: LineReportPublic, extension: Literal["csv", "pdf"]) -> str:
    """``oee-report-line-1-2026-02-23-to-2026-03-02.pdf``, dates in the plant's time."""
    zone = ZoneInfo(report.site.timezone)
    line = re.sub(r"[^A-Za-z0-9_-]+", "_", report.line.id)
    first, last = report.since.astimezone(zone), report.until.astimezone(zone)
    return (
        f'attachment; filename="oee-report-{line}-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.{extension}"'
    )
