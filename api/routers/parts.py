"""/api/v1/parts: the spare parts catalogue; /api/v1/machines/{id}/installed-parts: the
installed base.

Staff read the catalogue; a parts manager or an administrator adds and edits
parts. A machine's installed parts are readable by whoever may see the machine.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts.parts_catalogue_import import part_problem
from api.access_scope import machine_for, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.parts_access import require_parts_authority, require_staff
from api.schemas.parts import InstalledPartPublic, PartBody, PartCreate, PartPublic
from api.ticket_clock import NowDep
from models.parts import Part
from storage import parts_store
from storage.connections import Connection

router = APIRouter(tags=["spare parts"])

PartNumber = Annotated[str, Path(min_length=1, max_length=64)]
_IDEMPOTENCY_KIND = "part"


@router.get("/parts")
async def list_parts(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    machine_model: Annotated[
        str | None, Query(max_length=100, description="Only the parts that fit this model")
    ] = None,
) -> list[PartPublic]:
    """The spare parts catalogue by part number, a page at a time (``Link`` header).

    With ``machine_model`` only the parts that fit it. Staff only: customers get 403."""
    require_staff(user)
    found = await parts_store.list_parts(
        conn, machine_model=machine_model, limit=page.fetch_limit, offset=page.offset
    )
    return [PartPublic.of(entry) for entry in page_of(found, page, request, response)]


@router.get("/parts/{part_number}")
async def get_part(part_number: PartNumber, user: CurrentUser, conn: ConnDep) -> PartPublic:
    """One catalogue part with its prices, supplier and the machine models it fits.

    404 for a part number that is not in the catalogue. Staff only: customers get 403."""
    require_staff(user)
    entry = await parts_store.get_part(conn, part_number=part_number)
    if entry is None:
        raise not_found("part", part_number)
    return PartPublic.of(entry)


@router.post("/parts", status_code=status.HTTP_201_CREATED)
async def create_part(
    body: PartCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> PartPublic:
    """Add a part; 409 when the part number is taken. The same ``Idempotency-Key`` again
    answers 200 with the part it created."""
    require_parts_authority(user)
    if idempotency_key is not None:
        made = await parts_store.remembered(
            conn, user_id=user.id, kind=_IDEMPOTENCY_KIND, key=idempotency_key
        )
        if made is not None:
            response.status_code = status.HTTP_200_OK
            return await get_part(made, user, conn)
    part = _checked(body.part(body.part_number))
    await conn.commit()  # the creation's transaction must be its own
    async with conn.transaction():
        entry = await parts_store.create_part(conn, part=part, by=user.login, at=now)
        if entry is None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"part {part.part_number} exists")
        if idempotency_key is not None:
            await parts_store.remember(
                conn,
                user_id=user.id,
                kind=_IDEMPOTENCY_KIND,
                key=idempotency_key,
                ref=part.part_number,
            )
    return PartPublic.of(entry)


@router.put("/parts/{part_number}")
async def replace_part(
    part_number: PartNumber, body: PartBody, user: CurrentUser, conn: ConnDep, now: NowDep
) -> PartPublic:
    """Replace a part's fields and fits; 404 for an unknown part. Whether it is serialized
    cannot change once it was booked or installed (409)."""
    require_parts_authority(user)
    current = await parts_store.get_part(conn, part_number=part_number)
    if current is None:
        raise not_found("part", part_number)
    part = _checked(body.part(part_number))
    if part.serialized != current.part.serialized and await parts_store.has_stock_history(
        conn, part_number=part_number
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{part_number} was booked or installed already: whether it is serialized stays",
        )
    await conn.commit()
    entry = await parts_store.save_part(conn, part=part, by=user.login, at=now)
    return PartPublic.of(entry)


def _checked(part: Part) -> Part:
    problem = part_problem(part)
    if problem is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problem)
    return part


@router.get("/machines/{machine_id}/installed-parts")
async def installed_parts(
    machine_id: str,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    history: Annotated[bool, Query(description="also the parts removed before")] = False,
) -> list[InstalledPartPublic]:
    """Which part (and serial) is installed where in the machine; 404 for another
    customer's machine, exactly like a missing one."""
    placement = machine_for(plant, user, machine_id)
    items = await parts_store.installed_parts(
        conn, machine_id=placement.machine.id, with_history=history, scope=scope_of(user)
    )
    names = await _descriptions(conn, [item.part_number for item in items])
    return [InstalledPartPublic.of(item, names.get(item.part_number, "")) for item in items]


async def _descriptions(conn: Connection, part_numbers: list[str]) -> dict[str, str]:
    parts = await parts_store.parts_by_number(conn, part_numbers=part_numbers)
    return {number: part.description for number, part in parts.items()}
