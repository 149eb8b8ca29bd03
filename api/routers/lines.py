"""GET /api/v1/lines and /api/v1/lines/{line_id}: the installed base with live machine states."""

from __future__ import annotations

from fastapi import APIRouter

from api.access_scope import line_for, scope_of, visible_lines
from api.deps import ConnDep, CurrentUser, PlantDep
from api.line_overview import line_overviews
from api.schemas.lines import LinePublic

router = APIRouter(prefix="/lines", tags=["lines"])


@router.get("")
async def list_lines(user: CurrentUser, plant: PlantDep, conn: ConnDep) -> list[LinePublic]:
    """Every line the user may see, with customer, site and machine states."""
    return await line_overviews(conn, visible_lines(plant, user), scope=scope_of(user))


@router.get("/{line_id}")
async def get_line(line_id: str, user: CurrentUser, plant: PlantDep, conn: ConnDep) -> LinePublic:
    """One line; 404 when it does not exist or belongs to another customer."""
    [line] = await line_overviews(conn, [line_for(plant, user, line_id)], scope=scope_of(user))
    return line
