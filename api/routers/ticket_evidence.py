"""/api/v1/tickets/{id}/evidence: what a warning showed when it opened or joined the ticket.

Staff see every figure; the ticket's customer sees the same evidence in plain
language; another customer gets 404, as for a ticket that does not exist. A
ticket no warning opened or joined has no snapshots.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.access_scope import customer_filter, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.fault_meanings import fault_meanings
from api.routers.knowledge import viewer_of
from api.routers.tickets import TicketId
from api.schemas.ticket_evidence import (
    TicketEvidenceCustomerPublic,
    TicketEvidencePublic,
    fault_codes_of,
)
from api.ticket_access import visible_ticket
from storage import ticket_evidence_store

router = APIRouter(prefix="/tickets", tags=["tickets"])


@router.get("/{ticket_id}/evidence")
async def get_ticket_evidence(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> TicketEvidencePublic | TicketEvidenceCustomerPublic:
    """The evidence frozen on the ticket, the opening warning's first (``view`` says which
    form: "staff" or "customer"); 404 when the ticket does not exist or the user may not see it."""
    await visible_ticket(conn, user, ticket_id)
    scope = scope_of(user)
    evidence = await ticket_evidence_store.evidence_of(conn, ticket_id=ticket_id, scope=scope)
    # Alarms carry the fault code's meaning as far as the manual tells this user.
    meanings = await fault_meanings(
        conn, wanted=fault_codes_of(evidence, plant), viewer=viewer_of(plant, user), scope=scope
    )
    if customer_filter(user) is not None:
        return TicketEvidenceCustomerPublic.of(ticket_id, evidence, plant, meanings)
    return TicketEvidencePublic.of(ticket_id, evidence, plant, meanings)
