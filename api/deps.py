"""Dependencies every router uses, as ``Annotated`` aliases.

Everything comes from ``app.state``, filled by the app factory: no globals, so
several apps (tests, the demo) can live in one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.access_scope import customer_filter
from api.auth.request_credentials import (
    CSRF_HEADER,
    SESSION_COOKIE,
    unauthorized,
    user_of_bearer,
    user_of_cookie,
)
from models.plant import Plant
from models.users import User
from settings.linecare_settings import Settings
from storage.connections import Connection, Pool
from storage.customer_scope import enter_customer_scope
from storage.trend_cache import TrendCache

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key or a JWT access token from POST /api/token:"
    " `Authorization: Bearer <token>`. The console signs in with a session cookie instead.",
)


def pool_of(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


# The dependencies are coroutines although they only read app.state: FastAPI runs a
# plain function in its thread pool, a thread hop per dependency on every request.
async def get_pool(request: Request) -> Pool:
    return pool_of(request)


def plant_of(request: Request) -> Plant:
    plant: Plant = request.app.state.plant
    return plant


def trend_cache_of(request: Request) -> TrendCache:
    cache: TrendCache = request.app.state.trend_cache
    return cache


async def get_plant(request: Request) -> Plant:
    return plant_of(request)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PoolDep = Annotated[Pool, Depends(get_pool)]
PlantDep = Annotated[Plant, Depends(get_plant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


# Reads run in autocommit: under READ COMMITTED each statement sees its own snapshot
# either way, and a read spared BEGIN and COMMIT makes two round trips fewer. Writes
# keep their transaction; the pool puts every connection back out of autocommit.
_READS = frozenset({"GET", "HEAD"})


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """One pooled connection per request, shared by every dependency of that request."""
    async with pool_of(request).connection() as conn:
        if request.method in _READS:
            await conn.set_autocommit(True)
        yield conn


# Back to the pool, and a write committed, as soon as the route returns: before the
# response is sent, not after. A connection held while a large answer went out kept
# the pool short under load, and an answer sent before its commit could report a
# change that then failed. No route streams from its connection.
ConnDep = Annotated[Connection, Depends(get_conn, scope="function")]


async def _signed_in_user(
    conn: Connection, credentials: HTTPAuthorizationCredentials | None, request: Request
) -> User:
    """The signed-in user (api/auth/request_credentials.py); 401 when nobody is."""
    if credentials is not None:
        return await user_of_bearer(
            conn,
            credential=credentials.credentials,
            secret=request.app.state.token_secret,
            method=request.method,
            path=request.url.path,
            cache=request.app.state.credentials,
        )
    session = request.cookies.get(SESSION_COOKIE)
    if session is None:
        raise unauthorized(
            "Not signed in: send the header 'Authorization: Bearer <token>' or sign in at /sign-in."
        )
    settings: Settings = request.app.state.settings
    return await user_of_cookie(
        conn,
        session=session,
        idle_timeout=settings.sign_in_policy().session_idle_timeout,
        method=request.method,
        csrf_header=request.headers.get(CSRF_HEADER),
    )


async def get_current_user(
    conn: ConnDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    request: Request,
) -> User:
    """The signed-in user; 401 when nobody is.

    For a customer user (or a key bound to a customer) the request's connection then
    serves that customer alone: row-level security hides every other customer's rows
    from the rest of the request, whatever its queries forget (docs/access.md,
    "Row-level security"). The pool resets the connection when the request ends.
    """
    user = await _signed_in_user(conn, credentials, request)
    confined_to = customer_filter(user)
    if confined_to is not None:
        await enter_customer_scope(conn, customer_id=confined_to)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_user_released(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The signed-in user, read on a connection that goes back to the pool at once:
    for streams, which would otherwise hold a connection for as long as they run."""
    # Not switched to the customer: the connection serves only this look-up. What the
    # stream sends is checked against the user before its first byte.
    async with pool_of(request).connection() as conn:
        return await _signed_in_user(conn, credentials, request)


StreamUser = Annotated[User, Depends(get_current_user_released)]
