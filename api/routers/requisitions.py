"""/api/v1/requisitions: parts asked for a store, per ticket or to refill safety stock.

Staff ask; a parts manager or an administrator approves or rejects. Approval
books the transfer from the named store at once (emergency transfers flagged),
or orders from the supplier; ``POST /{id}/receipt`` books the ordered goods in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts import requisition_commands
from alerts.stock_ledger_rules import Refusal
from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser
from api.pagination import PageDep, page_of
from api.parts_access import refused, require_parts_authority, require_staff
from api.schemas.stock import DecisionBody, ReceiptBody, RequisitionBody, RequisitionPublic
from api.ticket_clock import NowDep
from models.stock import Requisition, RequisitionStatus
from storage import parts_store, requisition_store

router = APIRouter(prefix="/requisitions", tags=["stock"])

RequisitionId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_IDEMPOTENCY_KIND = "requisition"


@router.get("")
async def list_requisitions(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    status_: Annotated[
        list[RequisitionStatus] | None,
        Query(alias="status", description="Only these states (repeatable)"),
    ] = None,
    store_id: Annotated[
        str | None, Query(max_length=100, description="Only those for this store")
    ] = None,
    ticket_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only those of this ticket")
    ] = None,
) -> list[RequisitionPublic]:
    """Requisitions newest first, a page at a time (``Link`` header).

    ``status`` (repeatable) keeps only those, e.g. ``?status=pending``; ``store_id`` and
    ``ticket_id`` narrow to one store's or one ticket's."""
    require_staff(user)
    found = await requisition_store.list_requisitions(
        conn,
        statuses=status_ or (),
        store_id=store_id,
        ticket_id=ticket_id,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [RequisitionPublic.of(r) for r in page_of(found, page, request, response)]


@router.get("/{requisition_id}")
async def get_requisition(
    requisition_id: RequisitionId, user: CurrentUser, conn: ConnDep
) -> RequisitionPublic:
    """One requisition: the part and quantity asked for, the store, the ticket, and how it
    was decided, transferred or ordered and received.

    404 for a requisition that does not exist. Staff only: customers get 403."""
    require_staff(user)
    found = await requisition_store.get_requisition(conn, requisition_id=requisition_id)
    if found is None:
        raise not_found("requisition", requisition_id)
    return RequisitionPublic.of(found)


@router.post("", status_code=status.HTTP_201_CREATED, responses={409: {}})
async def create_requisition(
    body: RequisitionBody,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> RequisitionPublic:
    """Ask for parts; the customer is taken from the ticket. The same ``Idempotency-Key``
    again answers 200 with the requisition it created."""
    require_staff(user)
    if idempotency_key is not None:
        made = await parts_store.remembered(
            conn, user_id=user.id, kind=_IDEMPOTENCY_KIND, key=idempotency_key
        )
        if made is not None:
            response.status_code = status.HTTP_200_OK
            return await get_requisition(int(made), user, conn)
    await conn.commit()
    async with conn.transaction():
        created = await requisition_commands.create_requisition(
            conn,
            part_number=body.part_number,
            quantity=body.quantity,
            purpose=body.purpose,
            store_id=body.store_id,
            from_store_id=body.from_store_id,
            ticket_id=body.ticket_id,
            emergency=body.emergency,
            by=user.login,
            at=now,
        )
        if isinstance(created, Refusal):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, created.message)
        if idempotency_key is not None:
            await parts_store.remember(
                conn,
                user_id=user.id,
                kind=_IDEMPOTENCY_KIND,
                key=idempotency_key,
                ref=str(created.id),
            )
    return RequisitionPublic.of(created)


@router.post("/{requisition_id}/decision", responses={409: {}})
async def decide(
    requisition_id: RequisitionId,
    body: DecisionBody,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
) -> RequisitionPublic:
    """Approve (books the transfer, or orders from the supplier) or reject; 409 when it is
    decided already or the source store cannot give the parts (it stays pending)."""
    require_parts_authority(user)
    await conn.commit()
    result = await requisition_commands.decide(
        conn,
        requisition_id=requisition_id,
        approve=body.approve,
        note=body.note,
        by=user.login,
        at=now,
    )
    return _answer(requisition_id, result)


@router.post("/{requisition_id}/receipt", responses={409: {}})
async def receive(
    requisition_id: RequisitionId,
    body: ReceiptBody,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
) -> RequisitionPublic:
    """Book the ordered parts in (one serial per unit for a serialized part)."""
    require_parts_authority(user)
    await conn.commit()
    result = await requisition_commands.receive(
        conn, requisition_id=requisition_id, serials=body.serials, by=user.login, at=now
    )
    return _answer(requisition_id, result)


def _answer(requisition_id: int, result: Requisition | Refusal | None) -> RequisitionPublic:
    if result is None:
        raise not_found("requisition", requisition_id)
    if isinstance(result, Refusal):
        raise refused(result)
    return RequisitionPublic.of(result)
