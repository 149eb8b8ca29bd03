"""GET /report?line=..: the report page of a line, a static page that fetches the report API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/report")
async def report_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "report.html", headers={"Cache-Control": "no-cache"})
