"""/api/v1/tickets: service tickets with SLA clocks, next steps and audit trail, and moving them.

Reads show each ticket's clocks as of the service desk's "now" and the moves the
signed-in user may make. ``POST /{id}/transitions`` moves a ticket; a move the
state machine refuses answers 409 with the message and the moves open instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts import ticket_commands, ticket_registration
from alerts.ticket_intake import IntakeError
from alerts.ticket_lifecycle import Refusal, allowed_targets
from alerts.ticket_sla import ticket_clocks
from api.access_scope import line_for, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.people_names import people_names
from api.schemas.tickets import (
    ChangeApprovalRequest,
    RefusalPublic,
    TicketCreate,
    TicketCreatedPublic,
    TicketDetailPublic,
    TicketPublic,
    TransitionRequest,
    logins_of,
)
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.plant import Plant
from models.tickets import INTERNAL_EVENT_KINDS, Channel, Ticket
from models.users import Role, User
from storage import ticket_store, ticket_workflow_store
from storage.connections import Connection

router = APIRouter(prefix="/tickets", tags=["tickets"])

# Ticket ids are bigserial: anything outside is no ticket, and must not reach the database.
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_MAY_REGISTER = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN, Role.CUSTOMER})
# A desk clock a little ahead of ours is no request from the future.
_CLOCK_SLACK = timedelta(minutes=5)


@router.get("")
async def list_tickets(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    page: PageDep,
    request: Request,
    response: Response,
    machine_id: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this machine's tickets")
    ] = None,
) -> list[TicketPublic]:
    """Tickets newest first (by the time received), a page at a time (``Link`` header).

    Customers see their own customer's tickets only, field engineers only the jobs
    dispatched to them; ``machine_id`` gives that machine's service history."""
    found = await ticket_store.list_tickets(
        conn,
        scope=scope_of(user),
        limit=page.fetch_limit,
        offset=page.offset,
        machine_id=machine_id,
        engineer=user.login if user.role is Role.FIELD_ENGINEER else None,
    )
    tickets = page_of(found, page, request, response)
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[t.id for t in tickets])
    names = await people_names(conn, user, logins_of(tickets))
    return [
        TicketPublic.of(
            t,
            clocks=ticket_clocks(t, plant, waits=waits.get(t.id, []), now=now),
            allowed_next=allowed_targets(ticket_commands.position_of(t), user.role),
            names=names,
        )
        for t in tickets
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_ticket(
    body: TicketCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> TicketCreatedPublic:
    """Register a service request; 201 with the ticket and its confirmation notice.

    The desk registers for any customer from any channel but automatic warnings (the
    default channel is the hotline); a customer registers for their own lines, from
    the web portal. The same ``Idempotency-Key`` again answers 200 with the same ticket.
    """
    if user.role not in _MAY_REGISTER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} cannot register tickets")
    channel = body.channel or Channel.HOTLINE
    if user.role is Role.CUSTOMER:
        line_for(plant, user, body.line_id)  # 404 for another customer's line
        if body.channel not in (None, Channel.WEB_PORTAL) or body.under_warranty is not None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "customers register from the web portal, and the desk decides the warranty",
            )
        channel = Channel.WEB_PORTAL
    if channel is Channel.MAINTENANCE_PLAN:
        # The maintenance plans register through the same intake, but people do not.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "maintenance_plan is the channel of the maintenance plans, not of people",
        )
    if body.received_at is not None and body.received_at > now + _CLOCK_SLACK:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "received_at lies in the future")
    await conn.commit()  # the registration's transaction must be its own
    try:
        registration = await ticket_registration.register_once(
            conn,
            request=body.request(channel),
            plant=plant,
            user=user,
            now=now,
            idempotency_key=idempotency_key,
        )
    except IntakeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if not registration.created:
        response.status_code = status.HTTP_200_OK
    detail = await _detail(conn, plant, user, registration.ticket, now)
    return TicketCreatedPublic(**detail.model_dump(), confirmation=registration.confirmation)


@router.get("/{ticket_id}")
async def get_ticket(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep, now: NowDep
) -> TicketDetailPublic:
    """One ticket with its audit trail; 404 when it does not exist or is another customer's."""
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _detail(conn, plant, user, ticket, now)


@router.post("/{ticket_id}/transitions", responses={409: {"model": RefusalPublic}})
async def move_ticket(
    ticket_id: TicketId,
    body: TransitionRequest,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> TicketDetailPublic:
    """Move the ticket to ``to``; 409 with the allowed next steps when that move is refused."""
    await visible_ticket(conn, user, ticket_id)
    await conn.commit()  # the command's transaction must be its own, committed before we answer
    result = await ticket_commands.move_ticket(
        conn,
        ticket_id=ticket_id,
        target=body.to,
        user=user,
        reason=body.note,
        expected_status=body.expected_status,
        at=now,
    )
    return await _answer(conn, plant, user, ticket_id, result, now)


@router.post("/{ticket_id}/change-approval", responses={409: {"model": RefusalPublic}})
async def change_approval(
    ticket_id: TicketId,
    body: ChangeApprovalRequest,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> TicketDetailPublic:
    """Flag a ticket as changing the line's structure or key parameters, or approve it
    (technical lead: support or admin). Until approved it cannot be dispatched or resolved."""
    await visible_ticket(conn, user, ticket_id)
    await conn.commit()
    result = await ticket_commands.set_change_approval(
        conn,
        ticket_id=ticket_id,
        user=user,
        needed=body.needed,
        approve=body.approve,
        note=body.note,
        at=now,
    )
    return await _answer(conn, plant, user, ticket_id, result, now)


async def _answer(
    conn: Connection,
    plant: Plant,
    user: User,
    ticket_id: int,
    result: Ticket | Refusal | None,
    now: datetime,
) -> TicketDetailPublic:
    if result is None:
        raise not_found("ticket", ticket_id)
    if isinstance(result, Refusal):
        current = await visible_ticket(conn, user, ticket_id)
        refusal = RefusalPublic(
            message=f"Refused: {result.message}.",
            status=current.status,
            allowed_next=list(result.allowed),
        )
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail=refusal.model_dump(mode="json")
        )
    return await _detail(conn, plant, user, result, now)


async def _detail(
    conn: Connection, plant: Plant, user: User, ticket: Ticket, now: datetime
) -> TicketDetailPublic:
    events = await ticket_store.ticket_events(conn, ticket_id=ticket.id, scope=scope_of(user))
    if user.role is Role.CUSTOMER:
        events = [e for e in events if e.kind not in INTERNAL_EVENT_KINDS]
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[ticket.id])
    return TicketDetailPublic.with_events(
        ticket,
        events,
        clocks=ticket_clocks(ticket, plant, waits=waits.get(ticket.id, []), now=now),
        allowed_next=allowed_targets(ticket_commands.position_of(ticket), user.role),
        names=await people_names(conn, user, logins_of([ticket], events)),
    )
