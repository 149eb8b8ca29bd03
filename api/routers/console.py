"""GET /: the web console, a static page that talks to the JSON API with the user's token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def console_page() -> FileResponse:
    # no-cache: a browser revalidates, so a new release never runs with a stale script.
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
