"""GET /api/v1/alerts: alerts newest first, of the user's own customer only for customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.access_scope import scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.schemas.alerts import AlertPublic
from models.plant import MachinePlacement, Plant
from storage import alert_store

router = APIRouter(prefix="/alerts", tags=["alerts"])


def _placement(plant: Plant, machine_id: str) -> MachinePlacement | None:
    try:
        return plant.placement_of(machine_id)
    except KeyError:
        return None


@router.get("")
async def list_alerts(
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    open_only: Annotated[bool, Query(description="Only alerts still open")] = False,
) -> list[AlertPublic]:
    """Alerts newest first, named by machine and line from the plant file, a page at a
    time (``Link`` header); customers see their own machines' alerts only."""
    found = await alert_store.list_alerts(
        conn,
        scope=scope_of(user),
        open_only=open_only,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    alerts = page_of(found, page, request, response)
    return [AlertPublic.of(a, _placement(plant, a.machine_id)) for a in alerts]
