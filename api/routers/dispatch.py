"""Dispatch: ranked engineers for a ticket, dispatching it, the dispatch order, and the
desk's bulk assignment of owners.

- ``GET  /api/v1/tickets/{id}/dispatch-candidates``: engineers ranked, with reasons.
- ``POST /api/v1/tickets/{id}/dispatch``: dispatch to an engineer (``Idempotency-Key``),
  reserving the parts chosen (``reserve``: part, store, quantity) in the same
  transaction; a move the state machine refuses answers 409 with the allowed next
  steps, a reservation the stock cannot cover 409 with the reason (nothing is done).
- ``GET  /api/v1/tickets/{id}/dispatch``: the order the engineer receives.
- ``POST /api/v1/tickets/assignments``: make one person the owner of many tickets.
- ``GET  /api/v1/ticket-owners``: who owns which ticket.

Dispatch is internal work: customers get 404 on all of it, like a missing id. A
field engineer reads only the orders of their own jobs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts import dispatch_commands, ticket_commands
from alerts.dispatch_commands import DispatchError
from alerts.dispatch_ranking import need_of, rank_engineers
from alerts.dispatch_with_parts import DispatchedWithParts, dispatch_with_parts
from alerts.ticket_lifecycle import Refusal, allowed_targets
from alerts.ticket_sla import ticket_clocks
from api.access_scope import can_see, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.dispatch_orders import dispatch_order, placement_of_ticket, refusal_response
from api.pagination import PageDep, page_of
from api.people_names import people_names
from api.schemas.dispatch import (
    DispatchCandidatesPublic,
    DispatchOrderPublic,
    OwnerAssignmentPublic,
    OwnerAssignmentRequest,
    OwnerResultPublic,
    TicketOwnerPublic,
)
from api.schemas.part_suggestions import (
    DispatchedWithPartsPublic,
    DispatchWithPartsRequest,
    ReservedPublic,
)
from api.schemas.tickets import RefusalPublic, TicketDetailPublic, logins_of
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.tickets import Ticket
from models.users import Role, User
from storage import dispatch_store, engineer_store, ticket_store, ticket_workflow_store
from storage.connections import Connection

router = APIRouter(tags=["dispatch"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_DESK = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})
_MAY_ASSIGN_OWNERS = frozenset({Role.DESK, Role.ADMIN})


@router.get("/tickets/{ticket_id}/dispatch-candidates")
async def dispatch_candidates(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep, now: NowDep
) -> DispatchCandidatesPublic:
    """Every active field engineer ranked for the ticket, best first, with the score parts
    and the reasons; those who cannot make the arrival deadline come last, flagged."""
    ticket = await _desk_ticket(conn, user, ticket_id)
    need = need_of(ticket, placement_of_ticket(plant, ticket))
    engineers = await engineer_store.list_field_engineers(conn)
    return DispatchCandidatesPublic.of(ticket, need, rank_engineers(need, engineers, now=now))


@router.post(
    "/tickets/{ticket_id}/dispatch",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": RefusalPublic}},
)
async def dispatch_ticket(
    ticket_id: TicketId,
    body: DispatchWithPartsRequest,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> DispatchedWithPartsPublic:
    """Dispatch the ticket to a field engineer with the tools and parts to bring: 201 with
    the ticket, the order and the reservations booked. ``reserve`` holds parts for the
    ticket in the stores named (the suggested parts' nearest stock), all or nothing with
    the dispatch. The same ``Idempotency-Key`` again answers 200 with the same dispatch
    and reserves nothing more. To send it to someone else, move it back to classified
    with a reason first."""
    await _desk_ticket(conn, user, ticket_id)
    await conn.commit()  # the command's transaction must be its own
    try:
        result = await dispatch_with_parts(
            conn,
            ticket_id=ticket_id,
            engineer_login=body.engineer,
            instructions=body.instructions(),
            reservations=body.reservations(),
            user=user,
            at=now,
            idempotency_key=idempotency_key,
        )
    except DispatchError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if result is None:
        raise not_found("ticket", ticket_id)
    if isinstance(result, Refusal):
        raise await refusal_response(conn, result, ticket_id, scope_of(user))
    if not isinstance(result, DispatchedWithParts):
        raise HTTPException(status.HTTP_409_CONFLICT, f"Refused: {result.message}.")
    dispatched = result.dispatched
    if not dispatched.created:
        response.status_code = status.HTTP_200_OK
    ticket = dispatched.ticket
    events = await ticket_store.ticket_events(conn, ticket_id=ticket_id, scope=scope_of(user))
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[ticket_id])
    detail = TicketDetailPublic.with_events(
        ticket,
        events,
        clocks=ticket_clocks(ticket, plant, waits=waits.get(ticket_id, []), now=now),
        allowed_next=allowed_targets(ticket_commands.position_of(ticket), user.role),
        names=await people_names(conn, user, logins_of([ticket], events)),
    )
    order = await _with_names(
        conn, user, await dispatch_order(conn, plant, ticket, dispatched.assignment)
    )
    return DispatchedWithPartsPublic(
        ticket=detail,
        order=order,
        reserved=[ReservedPublic.of(entry) for entry in result.reservations],
    )


@router.get("/tickets/{ticket_id}/dispatch")
async def get_dispatch_order(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> DispatchOrderPublic:
    """The dispatch order of the ticket's current assignment; 404 when it has none, and for
    a field engineer when it is not their job."""
    ticket = await visible_ticket(conn, user, ticket_id)
    if user.role is Role.CUSTOMER:
        raise not_found("ticket", ticket_id)  # the order is the service team's
    assignment = await dispatch_store.current_assignment(conn, ticket_id=ticket_id)
    if assignment is None:
        raise not_found("dispatch of ticket", ticket_id)
    return await _with_names(conn, user, await dispatch_order(conn, plant, ticket, assignment))


@router.post("/tickets/assignments")
async def assign_owners(
    body: OwnerAssignmentRequest, user: CurrentUser, conn: ConnDep, now: NowDep
) -> OwnerAssignmentPublic:
    """Make ``owner`` the owner of every ticket listed, each on its own: the answer says for
    each ticket whether it worked and why not. Setting an owner again changes nothing."""
    if user.role is Role.CUSTOMER:
        raise not_found("resource", "ticket assignments")
    if user.role not in _MAY_ASSIGN_OWNERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "tickets are assigned by the desk")
    await conn.commit()  # each ticket's transaction must be its own
    try:
        results = await dispatch_commands.assign_owner(
            conn, ticket_ids=body.ticket_ids, owner=body.owner, user=user, at=now
        )
    except DispatchError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    done = sum(r.ok for r in results)
    names = await people_names(conn, user, [body.owner])
    return OwnerAssignmentPublic(
        owner=body.owner,
        owner_name=names.name(body.owner) or body.owner,
        assigned=done,
        failed=len(results) - done,
        results=[OwnerResultPublic.of(r) for r in results],
    )


@router.get("/ticket-owners")
async def ticket_owners(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    owner: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this person's tickets")
    ] = None,
) -> list[TicketOwnerPublic]:
    """Who owns which ticket in the desk's queue, by ticket, a page at a time (``Link``);
    ``owner`` for one person's."""
    if user.role not in _DESK:
        raise not_found("resource", "ticket owners")
    found = await dispatch_store.ticket_owners(
        conn, owner=owner, limit=page.fetch_limit, offset=page.offset
    )
    owners = page_of(found, page, request, response)
    names = await people_names(
        conn, user, {login for o in owners for login in (o.owner, o.assigned_by)}
    )
    return [TicketOwnerPublic.of(o, names) for o in owners]


async def _with_names(
    conn: Connection, user: User, order: DispatchOrderPublic
) -> DispatchOrderPublic:
    """The order with the name of who dispatched it (the order itself names the login)."""
    dispatcher = order.assignment.dispatched_by
    names = await people_names(conn, user, [dispatcher])
    assignment = order.assignment.model_copy(
        update={"dispatched_by_name": names.name(dispatcher) or dispatcher}
    )
    return order.model_copy(update={"assignment": assignment})


async def _ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=scope_of(user))
    if ticket is None:
        raise not_found("ticket", ticket_id)
    return ticket


async def _desk_ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    """The ticket for dispatching it: 404 for customers and for another engineer's job,
    403 for a field engineer's own job (dispatch is the desk's)."""
    ticket = await _ticket(conn, user, ticket_id)
    if user.role is Role.CUSTOMER or not can_see(user, ticket.draft.customer_id):
        raise not_found("ticket", ticket_id)
    if user.role not in _DESK:
        if not await ticket_commands.works_on(conn, ticket_id=ticket_id, user=user):
            raise not_found("ticket", ticket_id)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "dispatching is for the service desk")
    return ticket
