"""GET /api/v1/machine-status: online, or offline since when and why, per visible machine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.access_scope import line_for, scope_of, visible_lines
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, slice_page
from api.schemas.machine_status import MachineStatusPublic
from storage.machine_status_store import list_machine_status

router = APIRouter(prefix="/machine-status", tags=["machines"])


@router.get("")
async def machine_status(
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    line_id: Annotated[str | None, Query(description="Only this line's machines")] = None,
) -> list[MachineStatusPublic]:
    """Every machine the user may see (or of one line), in plant file order, a page at a
    time (``Link`` header); a line of another customer answers 404."""
    lines = [line_for(plant, user, line_id)] if line_id is not None else visible_lines(plant, user)
    every = [(machine.id, p.line.id) for p in lines for machine in p.line.machines]
    machines = slice_page(every, page, request, response)
    recorded = await list_machine_status(
        conn, machine_ids=[machine for machine, _ in machines], scope=scope_of(user)
    )
    by_machine = {status.machine_id: status for status in recorded}
    return [
        MachineStatusPublic.of(machine, line, by_machine.get(machine)) for machine, line in machines
    ]
