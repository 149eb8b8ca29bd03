"""/api/v1/engineers: field engineers' skills, certificates, base and open jobs.

The desk, support and admins read every profile; a field engineer reads their own;
the desk and admins edit them. Customers get 404, as if there were no engineers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser
from api.pagination import PageDep, page_of
from api.schemas.engineers import EngineerProfileUpdate, EngineerPublic
from api.ticket_clock import NowDep
from models.dispatch import FieldEngineer
from models.users import Role, User
from storage import engineer_store
from storage.connections import Connection

router = APIRouter(prefix="/engineers", tags=["dispatch"])

Login = Annotated[str, Path(min_length=1, max_length=200)]
_READERS = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})
_EDITORS = frozenset({Role.DESK, Role.ADMIN})


@router.get("")
async def list_engineers(
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    page: PageDep,
    request: Request,
    response: Response,
    machine_model: Annotated[
        str | None, Query(max_length=100, description="Only those trained on this model")
    ] = None,
    home_region: Annotated[
        str | None, Query(max_length=100, description="Only those based in this region")
    ] = None,
) -> list[EngineerPublic]:
    """Every active field engineer with their profile and open jobs, by login, a page at
    a time (``Link`` header)."""
    if user.role is Role.CUSTOMER:
        raise not_found("resource", "engineers")
    if user.role not in _READERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the list of engineers is for the desk")
    found = await engineer_store.list_field_engineers(
        conn,
        machine_model=machine_model,
        home_region=home_region,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [EngineerPublic.of(e, today=now.date()) for e in page_of(found, page, request, response)]


@router.get("/{login}")
async def get_engineer(
    login: Login, user: CurrentUser, conn: ConnDep, now: NowDep
) -> EngineerPublic:
    """One field engineer; 404 when there is none by that login (or it is not for you)."""
    engineer = await _readable(conn, user, login)
    return EngineerPublic.of(engineer, today=now.date())


@router.put("/{login}")
async def put_engineer(
    login: Login, body: EngineerProfileUpdate, user: CurrentUser, conn: ConnDep, now: NowDep
) -> EngineerPublic:
    """Replace the field engineer's profile (desk and admins); 404 for no such engineer."""
    await _readable(conn, user, login)
    if user.role not in _EDITORS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "engineers' profiles are edited by the desk or an admin"
        )
    await conn.commit()  # the profile's transaction must be its own
    await engineer_store.save_profile(conn, profile=body.profile(login), by=user.login, at=now)
    saved = await engineer_store.find_field_engineer(conn, login=login)
    if saved is None:  # revoked between the check and the write
        raise not_found("field engineer", repr(login))
    return EngineerPublic.of(saved, today=now.date())


async def _readable(conn: Connection, user: User, login: str) -> FieldEngineer:
    """The engineer if the user may read them: staff anyone, an engineer themselves."""
    may_read = user.role in _READERS or (user.role is Role.FIELD_ENGINEER and user.login == login)
    engineer = await engineer_store.find_field_engineer(conn, login=login) if may_read else None
    if engineer is None:
        raise not_found("field engineer", repr(login))
    return engineer
