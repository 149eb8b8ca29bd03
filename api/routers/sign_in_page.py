"""GET /sign-in: the page where people sign in with login and password.

After signing in it goes to ``?next=`` when that is a path of this site
(api/static/sign_in.js checks it), else to the console at ``/``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/sign-in")
async def sign_in_page() -> FileResponse:
    # no-cache: a browser revalidates, so a new release never runs with a stale script.
    return FileResponse(STATIC_DIR / "sign_in.html", headers={"Cache-Control": "no-cache"})
