"""GET /kpis: the service KPI page, a static page that fetches /api/kpis/service."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/kpis")
async def kpi_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "kpi.html", headers={"Cache-Control": "no-cache"})
