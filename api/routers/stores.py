"""/api/v1/stores, /api/v1/stock and /api/v1/ledger: where the parts are, and every movement booked.

Staff read everything; customers get 403. Booking a movement (``POST /api/v1/ledger``)
follows ``alerts.stock_permissions.may_book``: parts managers and administrators
book anything, the desk and support reserve and release, a field engineer books on
their own van. A movement the ledger's rules refuse answers 409 with the reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts import stock_commands
from alerts.stock_ledger_rules import Refusal
from alerts.stock_permissions import may_book
from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser
from api.pagination import PageDep, page_of
from api.parts_access import refused, require_parts_authority, require_staff
from api.schemas.stock import (
    BookingPublic,
    LedgerEntryPublic,
    LowStockPublic,
    MovementBody,
    StockLevelPublic,
    StoreBody,
    StorePublic,
    ThresholdsBody,
)
from api.ticket_clock import NowDep
from models.stock import LedgerEntry, Store, StoreKind
from models.users import Role, User
from storage import parts_store, stock_store
from storage.connections import Connection
from storage.user_store import find_account

router = APIRouter(tags=["stock"])

StoreId = Annotated[str, Path(min_length=1, max_length=100)]
PartNumber = Annotated[str, Path(min_length=1, max_length=64)]
_IDEMPOTENCY_KIND = "movement"


@router.get("/stores")
async def list_stores(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    kind: Annotated[StoreKind | None, Query(description="Only stores of this kind")] = None,
) -> list[StorePublic]:
    """The stores: central, regional, then vans, by name, a page at a time (``Link``).

    Staff only: customers get 403."""
    require_staff(user)
    found = await stock_store.list_stores(
        conn, kind=kind, limit=page.fetch_limit, offset=page.offset
    )
    return [StorePublic.of(store) for store in page_of(found, page, request, response)]


@router.get("/stores/{store_id}")
async def get_store(store_id: StoreId, user: CurrentUser, conn: ConnDep) -> StorePublic:
    """One store: its name, kind, region and, for a van, the field engineer who drives it.

    404 for a store that does not exist. Staff only: customers get 403."""
    require_staff(user)
    return StorePublic.of(await _store(conn, store_id))


@router.post("/stores", status_code=status.HTTP_201_CREATED)
async def create_store(
    body: StoreBody, response: Response, user: CurrentUser, conn: ConnDep
) -> StorePublic:
    """Add a store (a parts manager or administrator); a van names its field engineer.
    Creating the same store again answers 200 with it; a different one with its id, 409."""
    require_parts_authority(user)
    store = body.store()
    if (store.kind is StoreKind.VAN) != (store.owner_login is not None):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "a van, and only a van, names its owner_login"
        )
    if store.kind is StoreKind.CENTRAL:
        raise HTTPException(status.HTTP_409_CONFLICT, "there is one central store")
    if store.owner_login is not None:
        account = await find_account(conn, login=store.owner_login)
        if account is None or account.user.role is not Role.FIELD_ENGINEER:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"{store.owner_login} is no field engineer",
            )
        van = await stock_store.van_of(conn, login=store.owner_login)
        if van is not None and van.id != store.id:
            raise HTTPException(status.HTTP_409_CONFLICT, f"{store.owner_login} has {van.id}")
    existing = await stock_store.get_store(conn, store_id=store.id)
    if existing is not None:
        if existing != store:
            raise HTTPException(status.HTTP_409_CONFLICT, f"store {store.id} exists")
        response.status_code = status.HTTP_200_OK
        return StorePublic.of(existing)
    await stock_store.save_store(conn, store=store)
    await conn.commit()
    return StorePublic.of(store)


@router.get("/stock")
async def list_stock(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    store_id: Annotated[str | None, Query(max_length=100, description="Only this store")] = None,
    part_number: Annotated[str | None, Query(max_length=64, description="Only this part")] = None,
) -> list[StockLevelPublic]:
    """Stock levels by store and part, with availability and the low-stock flags, a page
    at a time (``Link`` header)."""
    require_staff(user)
    levels = await stock_store.stock_levels(
        conn,
        store_id=store_id,
        part_number=part_number,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [StockLevelPublic.of(level) for level in page_of(levels, page, request, response)]


@router.get("/stock/warnings")
async def low_stock(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    store_id: Annotated[str | None, Query(max_length=100, description="Only this store")] = None,
) -> list[LowStockPublic]:
    """Levels below their safety stock, each with the requisition already open for it, a
    page at a time (``Link`` header)."""
    require_staff(user)
    warnings = await stock_store.low_stock(
        conn, store_id=store_id, limit=page.fetch_limit, offset=page.offset
    )
    return [LowStockPublic.of(w) for w in page_of(warnings, page, request, response)]


@router.put("/stock/{store_id}/{part_number}")
async def set_thresholds(
    store_id: StoreId,
    part_number: PartNumber,
    body: ThresholdsBody,
    user: CurrentUser,
    conn: ConnDep,
) -> StockLevelPublic:
    """Set the safety stock and reorder point of a part in a store."""
    require_parts_authority(user)
    await _store(conn, store_id)
    if await parts_store.get_part(conn, part_number=part_number) is None:
        raise not_found("part", part_number)
    level = await stock_store.set_thresholds(
        conn,
        store_id=store_id,
        part_number=part_number,
        safety_stock=body.safety_stock,
        reorder_point=body.reorder_point,
    )
    await conn.commit()
    return StockLevelPublic.of(level)


@router.get("/ledger")
async def list_ledger(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    store_id: Annotated[str | None, Query(max_length=100, description="Only this store")] = None,
    part_number: Annotated[str | None, Query(max_length=64, description="Only this part")] = None,
    ticket_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only movements booked on this ticket")
    ] = None,
    serial: Annotated[str | None, Query(max_length=100, description="Only this serial")] = None,
) -> list[LedgerEntryPublic]:
    """Ledger entries, newest first, a page at a time (``Link`` header), filtered by any of
    store, part, ticket and serial."""
    require_staff(user)
    entries = await stock_store.ledger(
        conn,
        store_id=store_id,
        part_number=part_number,
        ticket_id=ticket_id,
        serial=serial,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [LedgerEntryPublic.of(entry) for entry in page_of(entries, page, request, response)]


@router.post("/ledger", status_code=status.HTTP_201_CREATED, responses={409: {}})
async def book_movement(
    body: MovementBody,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> BookingPublic:
    """Book a movement; 409 with the reason when the ledger's rules refuse it (then nothing
    is booked). The same ``Idempotency-Key`` again answers 200 with the first booking."""
    require_staff(user)
    if idempotency_key is not None:
        made = await parts_store.remembered(
            conn, user_id=user.id, kind=_IDEMPOTENCY_KIND, key=idempotency_key
        )
        if made is not None:
            response.status_code = status.HTTP_200_OK
            ids = [int(part) for part in made.split(",")]
            return await _booking(conn, await stock_store.entries_by_id(conn, entry_ids=ids))
    request = body.request()
    store = await _store(conn, request.store_id)
    if request.to_store_id is not None:
        await _store(conn, request.to_store_id)
    if not may_book(user, request.kind, store):
        raise HTTPException(status.HTTP_403_FORBIDDEN, _not_allowed(user, request.kind, store))
    if await parts_store.get_part(conn, part_number=request.part_number) is None:
        raise not_found("part", request.part_number)
    await conn.commit()  # the booking's transaction must be its own
    async with conn.transaction():
        booked = await stock_commands.book_movement(conn, request=request, actor=user.login, at=now)
        if isinstance(booked, Refusal):
            raise refused(booked)
        if idempotency_key is not None:
            await parts_store.remember(
                conn,
                user_id=user.id,
                kind=_IDEMPOTENCY_KIND,
                key=idempotency_key,
                ref=",".join(str(entry.id) for entry in booked.entries),
            )
    return await _booking(conn, list(booked.entries))


async def _booking(conn: Connection, entries: list[LedgerEntry]) -> BookingPublic:
    levels = [
        level
        for entry in entries
        for level in await stock_store.stock_levels(
            conn, store_id=entry.store_id, part_number=entry.part_number
        )
    ]
    return BookingPublic(
        entries=[LedgerEntryPublic.of(entry) for entry in entries],
        levels=[StockLevelPublic.of(level) for level in levels],
        low_stock_warnings=[
            f"{level.part_number} in {level.store_id}: {level.on_hand} on hand, below the"
            f" safety stock of {level.safety_stock}"
            for level in levels
            if level.below_safety_stock
        ],
    )


def _not_allowed(user: User, kind: str, store: Store) -> str:
    if user.role is Role.FIELD_ENGINEER:
        return "a field engineer books issues, returns and reservations on their own van only"
    return f"a {user.role} may not book a {kind} in {store.id}"


async def _store(conn: Connection, store_id: str) -> Store:
    store = await stock_store.get_store(conn, store_id=store_id)
    if store is None:
        raise not_found("store", store_id)
    return store
