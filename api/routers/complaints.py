"""/api/v1/complaints: register a complaint, read it, and move it through its handling.

Customers register complaints for themselves and read their own; another
customer's complaint answers 404 like a missing one. Moving a complaint is the
service department's; a refused move answers 409 with the moves open instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts import complaint_commands
from alerts.complaint_lifecycle import ComplaintRefusal, allowed_targets, answer_timing
from api.access_scope import can_see, customer_filter, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.schemas.complaints import (
    ComplaintCreate,
    ComplaintDetailPublic,
    ComplaintEventPublic,
    ComplaintMoveRequest,
    ComplaintPublic,
    ComplaintRefusalPublic,
)
from api.ticket_clock import NowDep
from models.complaints import Complaint, ComplaintDraft, ComplaintStatus
from models.plant import Plant
from models.users import Role, User
from storage import complaint_store, ticket_store
from storage.connections import Connection

router = APIRouter(prefix="/complaints", tags=["complaints"])

ComplaintId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_REFUSED: dict[int | str, dict[str, Any]] = {409: {"model": ComplaintRefusalPublic}}
_MAY_REGISTER = frozenset({Role.CUSTOMER, Role.DESK, Role.SUPPORT, Role.ADMIN})


@router.get("")
async def list_complaints(
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    page: PageDep,
    request: Request,
    response: Response,
    ticket_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only complaints about this ticket")
    ] = None,
    status_: Annotated[
        ComplaintStatus | None, Query(alias="status", description="Only complaints in this status")
    ] = None,
) -> list[ComplaintPublic]:
    """Complaints newest first, a page at a time (``Link`` header); a customer's own only."""
    found = await complaint_store.list_complaints(
        conn,
        scope=scope_of(user),
        ticket_id=ticket_id,
        status=status_,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [_public(c, user, now) for c in page_of(found, page, request, response)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_complaint(
    body: ComplaintCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ComplaintDetailPublic:
    """Register a complaint; 201, or 200 with the same complaint for a repeated
    ``Idempotency-Key``. Its answer is due by the grade's committed time."""
    if user.role not in _MAY_REGISTER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} cannot register complaints")
    customer_id = await _customer_of(conn, plant, user, body)
    draft = ComplaintDraft(
        customer_id=customer_id,
        ticket_id=body.ticket_id,
        description=body.description.strip(),
        contact_name=body.contact_name.strip() or user.display_name,
        severity=body.severity,
        registered_by=user.login,
        registered_at=now,
    )
    await conn.commit()  # the registration's transaction must be its own
    try:
        complaint, created = await complaint_commands.register(
            conn, draft=draft, user=user, idempotency_key=idempotency_key
        )
    except complaint_commands.KeyTakenError:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "another request with this Idempotency-Key is being handled: retry",
        ) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return await _detail(conn, complaint, user, now)


@router.get("/{complaint_id}")
async def get_complaint(
    complaint_id: ComplaintId, user: CurrentUser, conn: ConnDep, now: NowDep
) -> ComplaintDetailPublic:
    """One complaint with its history; 404 when missing or another customer's."""
    complaint = await _visible(conn, user, complaint_id)
    return await _detail(conn, complaint, user, now)


@router.post("/{complaint_id}/transitions", responses=_REFUSED)
async def move_complaint(
    complaint_id: ComplaintId,
    body: ComplaintMoveRequest,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
) -> ComplaintDetailPublic:
    """Move the complaint ``to`` its next state; 409 with the allowed moves when refused."""
    await _visible(conn, user, complaint_id)
    await conn.commit()
    result = await complaint_commands.move(
        conn, complaint_id=complaint_id, step=body.step(), user=user, at=now
    )
    if result is None:
        raise not_found("complaint", complaint_id)
    if isinstance(result, ComplaintRefusal):
        current = await _visible(conn, user, complaint_id)
        refusal = ComplaintRefusalPublic(
            message=f"Refused: {result.message}.",
            status=current.status,
            allowed_next=list(result.allowed),
        )
        raise HTTPException(status.HTTP_409_CONFLICT, detail=refusal.model_dump(mode="json"))
    return await _detail(conn, result, user, now)


async def _customer_of(conn: Connection, plant: Plant, user: User, body: ComplaintCreate) -> str:
    """Whose complaint it is: the ticket's customer, the customer user's own, or the named one."""
    own = customer_filter(user)
    if body.ticket_id is not None:
        ticket = await ticket_store.get_ticket(conn, ticket_id=body.ticket_id, scope=scope_of(user))
        if ticket is None or not can_see(user, ticket.draft.customer_id):
            raise not_found("ticket", body.ticket_id)
        if body.customer_id not in (None, ticket.draft.customer_id):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"ticket {body.ticket_id} is not a ticket of customer {body.customer_id}",
            )
        return ticket.draft.customer_id
    if own is not None:
        if body.customer_id not in (None, own):
            raise not_found("customer", repr(body.customer_id))
        return own
    if body.customer_id is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "a complaint names its ticket_id or, standing alone, its customer_id",
        )
    if body.customer_id not in {c.id for c in plant.customers}:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"there is no customer {body.customer_id!r}"
        )
    return body.customer_id


async def _visible(conn: Connection, user: User, complaint_id: int) -> Complaint:
    complaint = await complaint_store.get_complaint(conn, complaint_id=complaint_id)
    if complaint is None or not can_see(user, complaint.customer_id):
        raise not_found("complaint", complaint_id)
    return complaint


def _public(complaint: Complaint, user: User, now: datetime) -> ComplaintPublic:
    return ComplaintPublic.of(
        complaint,
        timing=answer_timing(complaint, now=now),
        allowed_next=allowed_targets(complaint.status, user.role),
    )


async def _detail(
    conn: Connection, complaint: Complaint, user: User, now: datetime
) -> ComplaintDetailPublic:
    events = await complaint_store.complaint_events(conn, complaint_id=complaint.id)
    return ComplaintDetailPublic(
        **_public(complaint, user, now).model_dump(),
        events=[ComplaintEventPublic.of(e) for e in events],
    )
