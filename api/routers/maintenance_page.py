"""GET /maintenance: the maintenance planner's page (calendar per line, due and overdue
tasks, the patrol inspection form), a static page over /api/maintenance and
/api/inspections."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/maintenance")
async def maintenance_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "maintenance.html", headers={"Cache-Control": "no-cache"})
