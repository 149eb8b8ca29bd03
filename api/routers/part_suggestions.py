"""GET /api/v1/tickets/{id}/part-suggestions: the parts to bring for the ticket's fault.

The service team's: the desk, support, the parts manager, and the field engineer the
ticket is dispatched to (another engineer's job answers 404, as in
``api.ticket_access.visible_ticket``); customers get 404 too, like a missing ticket.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from alerts.part_suggestions_for_ticket import suggest_for_ticket
from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser, PlantDep
from api.dispatch_orders import placement_of_ticket
from api.schemas.part_suggestions import PartSuggestionsPublic
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.users import Role
from storage import dispatch_store
from storage.part_suggestion_queries import ticket_part_movements

router = APIRouter(tags=["spare parts"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/tickets/{ticket_id}/part-suggestions")
async def part_suggestions(
    ticket_id: TicketId,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    engineer: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> PartSuggestionsPublic:
    """The parts likeliest to fix the ticket's fault, best first, ranked from past repairs
    of the same machine model (same fault code, then same driving signals) and the parts
    the linked knowledge-base entries name; each with how often it fixed the fault and its
    stock in the nearest stores. ``engineer``: whose van to show before dispatch (default:
    the engineer the ticket is dispatched to)."""
    ticket = await visible_ticket(conn, user, ticket_id)
    if user.role is Role.CUSTOMER:
        raise not_found("ticket", ticket_id)  # the parts are the service team's
    assignment = await dispatch_store.current_assignment(conn, ticket_id=ticket_id)
    van_of = engineer or (assignment.engineer_login if assignment else None)
    region = placement_of_ticket(plant, ticket).site.region
    found = await suggest_for_ticket(
        conn, ticket=ticket, engineer_login=van_of, site_region=region, now=now, limit=limit
    )
    return PartSuggestionsPublic.of(
        ticket,
        found,
        engineer=van_of,
        site_region=region,
        ticket_parts=await ticket_part_movements(conn, ticket_id=ticket_id),
    )
