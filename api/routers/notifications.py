"""/api/v1/notifications/deliveries: the delivery log of ticket notices (webhooks and e-mails).

Each entry is one notice to one receiver: its tries, the last status code or
error, and when it is tried next. The service desk, support and administrators
see every delivery; a customer sees only the notices sent about their own
tickets to their own contacts and webhooks (another's answer 404). A failed
delivery can be tried once more with ``POST /deliveries/{id}/retry``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from api.access_scope import customer_filter, not_found, scope_of
from api.deps import ConnDep, CurrentUser
from api.pagination import PageDep, page_of
from api.schemas.notifications import DeliveryDetailPublic, DeliveryPublic, ErrorPublic
from models.notifications import Audience, Delivery, DeliveryStatus
from models.users import Role, User
from storage import notification_store
from storage.connections import Connection

router = APIRouter(prefix="/notifications", tags=["notifications"])

DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_MAY_READ = frozenset({Role.ADMIN, Role.DESK, Role.SUPPORT, Role.CUSTOMER})


@router.get("/deliveries")
async def list_deliveries(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    ticket_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only notices about this ticket")
    ] = None,
    webhook_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only calls of this webhook")
    ] = None,
    delivery_status: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only deliveries in this state")
    ] = None,
) -> list[DeliveryPublic]:
    """The delivery log, newest first, filtered by ticket, webhook or status, a page at a
    time (``Link`` header)."""
    _check_may_read(user)
    deliveries = await notification_store.list_deliveries(
        conn,
        scope=scope_of(user),
        ticket_id=ticket_id,
        subscription_id=webhook_id,
        status=delivery_status,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [DeliveryPublic.of(d) for d in page_of(deliveries, page, request, response)]


@router.get("/deliveries/{delivery_id}")
async def get_delivery(
    delivery_id: DeliveryId, user: CurrentUser, conn: ConnDep
) -> DeliveryDetailPublic:
    """One delivery with its message and every try."""
    delivery = await _visible(conn, user, delivery_id)
    tries = await notification_store.attempts_of(conn, delivery_id=delivery_id)
    return DeliveryDetailPublic.with_tries(delivery, tries)


@router.post("/deliveries/{delivery_id}/retry", responses={409: {"model": ErrorPublic}})
async def retry_delivery(
    delivery_id: DeliveryId, user: CurrentUser, conn: ConnDep
) -> DeliveryDetailPublic:
    """Try a failed delivery once more (say, after its receiver was fixed); 409 unless it
    had failed. It goes out with the job's next round."""
    await _visible(conn, user, delivery_id)
    if not await notification_store.retry_delivery(conn, delivery_id=delivery_id):
        raise HTTPException(status.HTTP_409_CONFLICT, "only a failed delivery can be tried again")
    await conn.commit()  # committed before we answer
    return await get_delivery(delivery_id, user, conn)


async def _visible(conn: Connection, user: User, delivery_id: int) -> Delivery:
    """The delivery if the user may see it: customers their own notices only; else 404."""
    _check_may_read(user)
    delivery = await notification_store.get_delivery(conn, delivery_id=delivery_id)
    confined_to = customer_filter(user)
    if delivery is None or (
        confined_to is not None
        and (
            delivery.notice.customer_id != confined_to
            or delivery.notice.audience is not Audience.CUSTOMER
        )
    ):
        raise not_found("delivery", delivery_id)
    return delivery


def _check_may_read(user: User) -> None:
    if user.role not in _MAY_READ:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a {user.role} does not read the notification log"
        )
