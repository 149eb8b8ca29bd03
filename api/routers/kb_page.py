"""GET /knowledge: the knowledge base page, a static page on /api/knowledge."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/knowledge")
async def knowledge_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "kb.html", headers={"Cache-Control": "no-cache"})
