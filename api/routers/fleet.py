"""GET /api/v1/fleet: the fleet overview for support and the desk; GET /fleet: its page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from api.access_scope import scope_of, visible_lines
from api.deps import ConnDep, CurrentUser, PlantDep
from api.fleet_overview import fleet_overview
from api.routers.console import STATIC_DIR
from api.schemas.fleet import FleetPublic
from api.ticket_clock import NowDep
from models.permissions import Permission, allowed

router = APIRouter(prefix="/fleet", tags=["fleet"])
page_router = APIRouter(include_in_schema=False)


@router.get("", responses={403: {"description": "Not for this role"}})
async def fleet(user: CurrentUser, plant: PlantDep, conn: ConnDep, now: NowDep) -> FleetPublic:
    """Every line with its machines' connection and state, open alerts and the SLA
    risks of its open tickets, the lines needing attention first."""
    if not allowed(user.role, Permission.READ_FLEET):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"the fleet overview is for support and the service desk, not a {user.role}",
        )
    return await fleet_overview(
        conn, plant, visible_lines(plant, user), now=now, scope=scope_of(user)
    )


@page_router.get("/fleet")
async def fleet_page() -> FileResponse:
    # Like the console: revalidated on every visit, so a release never runs a stale script.
    return FileResponse(STATIC_DIR / "fleet.html", headers={"Cache-Control": "no-cache"})
