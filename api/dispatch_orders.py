"""The order a field engineer receives for a dispatched ticket, and the 409 of a refusal.

Shared by the dispatch and my-jobs routers.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from alerts.ticket_lifecycle import Refusal
from api.access_scope import not_found
from api.schemas.dispatch import AssignmentPublic, DispatchOrderPublic
from api.schemas.tickets import RefusalPublic
from models.dispatch import Assignment
from models.plant import MachinePlacement, Plant
from models.tickets import Ticket
from storage import engineer_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope

# How many earlier tickets of the machine the order lists; the link lists them all.
_HISTORY_SHOWN = 10


async def dispatch_order(
    conn: Connection, plant: Plant, ticket: Ticket, assignment: Assignment
) -> DispatchOrderPublic:
    """The order for an assignment: the ticket, where, what to bring, documents, and the
    machine's history among the ticket's customer's tickets."""
    placement = placement_of_ticket(plant, ticket)
    engineer = await engineer_store.find_field_engineer(conn, login=assignment.engineer_login)
    name = engineer.display_name if engineer else assignment.engineer_login
    earlier = await ticket_store.list_tickets(
        conn,
        scope=CustomerScope(customer_id=ticket.draft.customer_id),
        machine_id=ticket.draft.machine_id,
        limit=_HISTORY_SHOWN + 1,
    )
    return DispatchOrderPublic.of(
        ticket,
        placement,
        AssignmentPublic.of(assignment, name),
        documents=plant.machine_documents.get(ticket.draft.machine_model, ()),
        history=[t for t in earlier if t.id != ticket.id][:_HISTORY_SHOWN],
    )


async def refusal_response(
    conn: Connection, refusal: Refusal, ticket_id: int, scope: CustomerScope
) -> HTTPException:
    """The 409 of a refused command, with the ticket's status and the moves open instead;
    404 for a ticket outside the scope."""
    current = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=scope)
    if current is None:
        return not_found("ticket", ticket_id)
    body = RefusalPublic(
        message=f"Refused: {refusal.message}.",
        status=current.status,
        allowed_next=list(refusal.allowed),
    )
    return HTTPException(status.HTTP_409_CONFLICT, detail=body.model_dump(mode="json"))


def placement_of_ticket(plant: Plant, ticket: Ticket) -> MachinePlacement:
    """Where the ticket's machine stands; 409 when the plant file no longer has it."""
    try:
        return plant.placement_of(ticket.draft.machine_id)
    except KeyError:
        # The plant file no longer has the machine: there is nowhere to send anyone.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"machine {ticket.draft.machine_id!r} of this ticket is no longer in the plant file",
        ) from None
