"""Dependencies every router uses, as ``Annotated`` aliases.

Everything comes from ``app.state``, filled by the app factory: no globals, so
several apps (tests, the demo) can live in one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from models.plant import Plant
from models.users import User
from settings.linecare_settings import Settings
from storage.connections import Connection, Pool
from storage.user_store import find_user_by_token

_bearer = HTTPBearer(
    auto_error=False,
    description="A personal access token: `Authorization: Bearer <token>`.",
)


def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


def get_plant(request: Request) -> Plant:
    plant: Plant = request.app.state.plant
    return plant


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PoolDep = Annotated[Pool, Depends(get_pool)]
PlantDep = Annotated[Plant, Depends(get_plant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_conn(pool: PoolDep) -> AsyncIterator[Connection]:
    """One pooled connection per request, shared by every dependency of that request."""
    async with pool.connection() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_conn)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_current_user(
    conn: ConnDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user the bearer token belongs to; 401 when it is missing or unknown."""
    if credentials is None:
        raise _unauthorized("Not signed in: send the header 'Authorization: Bearer <token>'.")
    user = await find_user_by_token(conn, token=credentials.credentials)
    if user is None:
        raise _unauthorized("The token is not valid: sign in again with a current token.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
