"""GET /api/v1/health: up or down, for launchers, monitors and container health checks.

Anyone may ask, with no token, and learns only ``up`` (200) or ``down`` (503).
Signed-in staff also learn whether the database answers and the plant's time,
which the monitoring page shows; customers and anonymous callers do not, since
the newest sample time across every customer's plant is not theirs to see.
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.utils import get_authorization_scheme_param

from api.deps import PoolDep, get_current_user
from api.schemas.health import HealthDetailPublic, HealthPublic
from models.users import Role, User
from storage.connections import Connection
from storage.plant_clock import latest_telemetry_time

router = APIRouter(tags=["health"])

_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": HealthPublic, "description": "The database cannot be reached"}
}


@router.get("/health", responses=_DOWN, summary="Is the service up")
async def health(
    pool: PoolDep, request: Request, response: Response
) -> HealthDetailPublic | HealthPublic:
    """``up`` (200) or ``down`` (503: the database cannot be reached); needs no token.

    Signed in as staff (session cookie or Bearer token), the answer also has
    ``database`` and ``plant_time``, the newest sample's time."""
    try:
        async with pool.connection(timeout=5) as conn:
            plant_time = await latest_telemetry_time(conn)
            staff = await _is_staff(conn, request)
    except psycopg.Error:  # includes the pool timing out
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthPublic(status="down")
    if not staff:
        return HealthPublic(status="up")
    return HealthDetailPublic(status="up", database=True, plant_time=plant_time)


async def _is_staff(conn: Connection, request: Request) -> bool:
    """Whether the request is signed in as anyone but a customer; a bad token is no one."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    credentials = (
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token)
        if scheme.lower() == "bearer" and token
        else None
    )
    try:
        user: User = await get_current_user(conn, credentials, request)
    except HTTPException:
        return False
    return user.role is not Role.CUSTOMER
