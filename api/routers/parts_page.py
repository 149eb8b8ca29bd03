"""GET /parts: the spare parts manager's page (stock per store with warnings, the ledger,
requisitions, serial trace, stock planning, consumption), a static page over /api/stores,
/api/stock, /api/ledger, /api/requisitions, /api/serials, /api/stock-planning and
/api/parts-consumption. The data APIs refuse customers; the page tells them so."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.routers.console import STATIC_DIR

router = APIRouter(include_in_schema=False)


@router.get("/parts")
async def parts_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "parts.html", headers={"Cache-Control": "no-cache"})
