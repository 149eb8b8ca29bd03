"""The web console: static pages that talk to the JSON API with the user's token.

GET / is the monitoring console; /tickets, /tickets/{ticket}, /tickets/new and /my-jobs
are the service pages (one page, service.html, that picks its view from the address),
so a ticket has an address to share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)

# A ticket's id, its number ("LC-2026-000012") or "new"; the page says when there is none.
TicketRef = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{1,40}$")]


def _page(name: str) -> FileResponse:
    # no-cache: a browser revalidates, so a new release never runs with a stale script.
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico whatever the page links; the site's mark is an SVG.
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/")
async def console_page() -> FileResponse:
    return _page("index.html")


@router.get("/tickets")
async def ticket_queue_page() -> FileResponse:
    return _page("service.html")


@router.get("/tickets/{ticket}")
async def ticket_page(ticket: TicketRef) -> FileResponse:
    return _page("service.html")


@router.get("/my-jobs")
async def my_jobs_page() -> FileResponse:
    return _page("service.html")
