"""GET /diagnosis: the remote diagnosis page, a static page over the trend and live APIs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/diagnosis")
async def diagnosis_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "diagnosis.html", headers={"Cache-Control": "no-cache"})
