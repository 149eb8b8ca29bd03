"""Who sent a request: a console session cookie, a Bearer JWT, or a Bearer API key.

A Bearer header wins over a cookie. Cookie-authenticated requests that change
something must also carry the ``X-Requested-With`` header: a page of another site
cannot add it without the API's consent (CORS), so with SameSite=Strict it
closes the door to cross-site request forgery twice.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import HTTPException, status

from api.auth.access_tokens import looks_like_jwt, user_id_of
from api.auth.credential_cache import CredentialCache
from api.auth.key_scope import SAFE_METHODS, OutOfScope, user_within_key
from models.credentials import KeyGrant
from models.users import User
from storage.api_key_store import sign_in_with_key
from storage.connections import Connection
from storage.session_store import user_of_session
from storage.user_store import find_active_user, token_digest

SESSION_COOKIE = "linecare_session"
CSRF_HEADER = "X-Requested-With"
# No credential is this long; longer ones are refused before hashing or decoding.
_MAX_CREDENTIAL_LENGTH = 4096


def unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def forbidden(message: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=message)


async def user_of_bearer(
    conn: Connection,
    *,
    credential: str,
    secret: bytes,
    method: str,
    path: str,
    cache: CredentialCache,
) -> User:
    """The user of a Bearer credential: a JWT access token or an API key."""
    if len(credential) > _MAX_CREDENTIAL_LENGTH:
        raise unauthorized("The token is not valid: sign in again with a current token.")
    if looks_like_jwt(credential):
        user_id = user_id_of(secret, credential)
        user = None if user_id is None else await _active_user(conn, user_id, cache)
        if user is None:
            raise unauthorized(
                "The access token is not valid or has expired: get a new one from"
                " POST /api/v1/token/refresh."
            )
        return user
    found = await _key_holder(conn, credential, cache)
    if found is None:
        raise unauthorized("The token is not valid: sign in again with a current token.")
    user, grant = found
    try:
        return user_within_key(user, grant, method=method, path=path)
    except OutOfScope as refusal:
        raise forbidden(str(refusal)) from None


async def _active_user(conn: Connection, user_id: int, cache: CredentialCache) -> User | None:
    kept = cache.active_user(user_id)
    if kept is not None:
        return kept
    since = cache.generation
    user = await find_active_user(conn, user_id=user_id)
    if user is not None:
        cache.keep_active_user(user, since=since)
    return user


async def _key_holder(
    conn: Connection, key: str, cache: CredentialCache
) -> tuple[User, KeyGrant] | None:
    digest = token_digest(key)
    kept = cache.key_holder(digest)
    if kept is not None:
        return kept
    since = cache.generation
    found = await sign_in_with_key(conn, key=key)
    if found is not None:
        cache.keep_key_holder(digest, found, since=since)
    return found


async def user_of_cookie(
    conn: Connection,
    *,
    session: str,
    idle_timeout: timedelta,
    method: str,
    csrf_header: str | None,
) -> User:
    """The user of a console session; unsafe methods need the CSRF header."""
    user = None
    if len(session) <= _MAX_CREDENTIAL_LENGTH:
        user = await user_of_session(conn, token=session, idle_timeout=idle_timeout)
    if user is None:
        raise unauthorized("The session has ended: sign in again at /sign-in.")
    if method.upper() not in SAFE_METHODS and not csrf_header:
        raise forbidden(f"A change made with the session cookie needs the header '{CSRF_HEADER}'.")
    return user
