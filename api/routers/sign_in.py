"""Signing in and out: the console's session cookie, and tokens for API clients.

POST /api/v1/sign-in      login + password -> HttpOnly session cookie (the console)
POST /api/v1/sign-out     ends the cookie's session
POST /api/v1/token        login + password -> JWT access token + refresh token (API clients)
POST /api/v1/token/refresh  a refresh token -> a new pair; the old refresh token is spent
POST /api/v1/token/revoke   ends a refresh token and every token refreshed from it
GET  /api/v1/sign-in/demo-tokens  the public demo tokens, as hints on the sign-in page

Rules and reasons: docs/access.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from api.auth.access_tokens import issue_access_token
from api.auth.password_sign_in import SignInRefused, check_password
from api.auth.request_credentials import CSRF_HEADER, SESSION_COOKIE
from api.auth.secrets_issued import new_secret
from api.deps import ConnDep, PlantDep, SettingsDep
from api.schemas.sign_in import Credentials, RefreshRequest, SignedIn, TokenPair
from api.schemas.users import DemoTokenPublic, UserPublic
from models.credentials import AuditEvent, AuditRecord, SignInPolicy
from models.permissions import Permission, allowed
from models.users import User
from storage import audit_store, session_store
from storage.connections import Connection
from storage.user_store import active_demo_users

router = APIRouter(tags=["sign-in"])

_REFUSED = "The login or the password is wrong."
_REFUSED_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "wrong login or password"},
    429: {"description": "too many failed sign-ins: locked for a while (see Retry-After)"},
}


def client_address(request: Request) -> str:
    """The peer's address; behind a proxy, run uvicorn with --proxy-headers."""
    return request.client.host if request.client else "unknown"


async def _signed_in_user(
    conn: Connection, policy: SignInPolicy, body: Credentials, request: Request, purpose: str
) -> User:
    try:
        user = await check_password(
            conn,
            policy,
            login=body.login,
            password=body.password,
            client_address=client_address(request),
            purpose=purpose,
        )
    except SignInRefused as refused:
        if refused.locked_until is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, _REFUSED) from None
        wait_s = max(1, int((refused.locked_until - datetime.now(UTC)).total_seconds()) + 1)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many failed sign-ins: try again in {(wait_s + 59) // 60} min.",
            headers={"Retry-After": str(wait_s)},
        ) from None
    if not allowed(user.role, Permission.SIGN_IN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} may not sign in")
    return user


@router.post("/sign-in", responses={**_REFUSED_RESPONSES, 400: {"description": "no CSRF header"}})
async def sign_in(
    body: Credentials,
    request: Request,
    response: Response,
    conn: ConnDep,
    plant: PlantDep,
    settings: SettingsDep,
    requested_with: Annotated[
        str | None, Header(alias=CSRF_HEADER, description="any value, e.g. `fetch`")
    ] = None,
) -> SignedIn:
    """Start a console session: sets the HttpOnly, SameSite=Strict session cookie.

    Needs the `X-Requested-With` header, so that no other site can sign a
    browser in to an account of its choosing.
    """
    if not requested_with:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"send the header '{CSRF_HEADER}'")
    policy = settings.sign_in_policy()
    user = await _signed_in_user(conn, policy, body, request, "session")
    token = new_secret()
    await session_store.create_session(
        conn,
        user_id=user.id,
        token=token,
        lifetime=policy.session_lifetime,
        client_address=client_address(request),
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(policy.session_lifetime.total_seconds()),
        path="/",
        secure=policy.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    customer = next((c for c in plant.customers if c.id == user.customer_id), None)
    return SignedIn(
        user=UserPublic.of(user, customer.name if customer else None),
        expires_at=datetime.now(UTC) + policy.session_lifetime,
        idle_timeout_s=int(policy.session_idle_timeout.total_seconds()),
    )


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    requested_with: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> Response:
    """End the cookie's session and clear the cookie; without a session, just clear it."""
    if not requested_with:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"send the header '{CSRF_HEADER}'")
    session = request.cookies.get(SESSION_COOKIE)
    if session is not None and len(session) <= 512:
        login = await session_store.end_session(conn, token=session)
        if login is not None:
            await audit_store.record(
                conn,
                AuditRecord(
                    AuditEvent.SIGN_OUT,
                    subject_login=login,
                    actor_login=login,
                    client_address=client_address(request),
                    detail="session",
                ),
            )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/token", responses=_REFUSED_RESPONSES)
async def token(
    body: Credentials, request: Request, conn: ConnDep, settings: SettingsDep
) -> TokenPair:
    """An access token (JWT, 15 min by default) and a refresh token for an API client."""
    policy = settings.sign_in_policy()
    user = await _signed_in_user(conn, policy, body, request, "token")
    refresh = new_secret()
    await session_store.create_refresh_token(
        conn, user_id=user.id, token=refresh, lifetime=policy.refresh_token_lifetime
    )
    return _pair(request, policy, user, refresh)


@router.post("/token/refresh", responses={401: {"description": "refresh token not valid"}})
async def refresh_token(
    body: RefreshRequest, request: Request, conn: ConnDep, settings: SettingsDep
) -> TokenPair:
    """A new pair for a refresh token, which is spent: use the new one next time.

    A refresh token presented a second time was copied: it and every token
    refreshed from the same sign-in stop working (the client signs in again).
    """
    policy = settings.sign_in_policy()
    replacement = new_secret()
    outcome = await session_store.use_refresh_token(
        conn,
        token=body.refresh_token,
        replacement=replacement,
        lifetime=policy.refresh_token_lifetime,
    )
    address = client_address(request)
    if outcome.user is None:
        if outcome.reused:
            await audit_store.record(
                conn,
                AuditRecord(
                    AuditEvent.REFRESH_REUSED,
                    subject_login=outcome.owner_login,
                    client_address=address,
                    detail="a spent refresh token came back: its family is revoked",
                ),
            )
            await conn.commit()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "The refresh token is not valid: sign in again with POST /api/v1/token.",
        )
    await audit_store.record(
        conn,
        AuditRecord(
            AuditEvent.TOKEN_REFRESHED,
            subject_login=outcome.user.login,
            actor_login=outcome.user.login,
            client_address=address,
        ),
    )
    return _pair(request, policy, outcome.user, replacement)


@router.post("/token/revoke", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(body: RefreshRequest, request: Request, conn: ConnDep) -> None:
    """End a refresh token and its family (an API client signing out); always 204."""
    login = await session_store.revoke_refresh_family(conn, token=body.refresh_token)
    if login is not None:
        await audit_store.record(
            conn,
            AuditRecord(
                AuditEvent.SIGN_OUT,
                subject_login=login,
                actor_login=login,
                client_address=client_address(request),
                detail="refresh token",
            ),
        )


def _pair(request: Request, policy: SignInPolicy, user: User, refresh: str) -> TokenPair:
    access = issue_access_token(
        request.app.state.token_secret,
        user_id=user.id,
        now=datetime.now(UTC),
        lifetime=policy.access_token_lifetime,
    )
    return TokenPair(
        access_token=access,
        expires_in=int(policy.access_token_lifetime.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int(policy.refresh_token_lifetime.total_seconds()),
    )


@router.get("/sign-in/demo-tokens")
async def demo_tokens(conn: ConnDep) -> list[DemoTokenPublic]:
    """The demo accounts usable here; empty on an installation without them.

    Needs no token: these tokens are public by design, like the demo password.
    """
    return [DemoTokenPublic.of(demo) for demo in await active_demo_users(conn)]
