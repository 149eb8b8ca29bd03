"""API keys for machine-to-machine use: list, create (the key shown once), revoke.

Every user manages their own keys; administrators also those of others
(models/permissions.py). A customer's keys, and keys bound to a customer, see
that customer alone; another customer's key answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status

from api.access_scope import not_found
from api.auth.secrets_issued import new_api_key
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.routers.sign_in import client_address
from api.schemas.sign_in import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from models.credentials import ApiKey, AuditEvent, AuditRecord
from models.permissions import Permission, allowed
from models.plant import Plant
from models.users import Role, User
from storage import api_key_store, audit_store
from storage.user_store import find_account

router = APIRouter(prefix="/api-keys", tags=["api keys"])


def _may_manage_all(user: User) -> bool:
    return allowed(user.role, Permission.MANAGE_ALL_API_KEYS)


def _visible(user: User, key: ApiKey) -> bool:
    return key.owner_login == user.login or _may_manage_all(user)


@router.get("")
async def list_api_keys(
    user: CurrentUser,
    conn: ConnDep,
    page: PageDep,
    request: Request,
    response: Response,
    login: Annotated[
        str | None, Query(max_length=254, description="whose keys; administrators only")
    ] = None,
    active_only: Annotated[bool, Query(description="Leave out the revoked keys")] = False,
) -> list[ApiKeyPublic]:
    """Your keys, newest first, a page at a time (``Link`` header).

    Administrators see everyone's, or one user's with ``login``."""
    if not _may_manage_all(user):
        if login not in (None, user.login):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "you may list only your own keys")
        login = user.login
    keys = await api_key_store.list_api_keys(
        conn,
        owner_login=login,
        active_only=active_only,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    return [ApiKeyPublic.of(key) for key in page_of(keys, page, request, response)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "this Idempotency-Key created a key before"}},
)
async def create_api_key(
    body: ApiKeyCreate,
    request: Request,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ApiKeyCreated:
    """Create a key; the answer is the only time the key is shown (only its digest is kept).

    ``access``: full (everything the owner's role may), read_only, or tickets_write
    (reading, and changing tickets). ``customer_id`` binds the key to one customer:
    it then acts as a customer user of that customer. A customer's key is always
    bound to their own customer.
    """
    owner = await _owner(conn, user, body.login)
    customer_id = _key_customer(plant, user, owner, body.customer_id)
    if idempotency_key is not None:
        earlier = await api_key_store.find_by_idempotency_key(
            conn, created_by=user.id, idempotency_key=idempotency_key
        )
        if earlier is not None:
            raise _created_before(earlier)
    key = new_api_key()
    created = await api_key_store.create_api_key(
        conn,
        user_id=owner.id,
        name=body.name.strip() or "API key",
        key=key,
        access=body.access,
        customer_id=customer_id,
        created_by=user.id,
        idempotency_key=idempotency_key,
    )
    if created is None:  # a concurrent request with the same Idempotency-Key won
        raise HTTPException(status.HTTP_409_CONFLICT, "this Idempotency-Key created a key before")
    await audit_store.record(
        conn,
        AuditRecord(
            AuditEvent.API_KEY_CREATED,
            subject_login=owner.login,
            actor_login=user.login,
            client_address=client_address(request),
            detail=_describe(created),
        ),
    )
    return ApiKeyCreated(api_key=ApiKeyPublic.of(created), key=key)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: int, request: Request, user: CurrentUser, conn: ConnDep
) -> Response:
    """Revoke a key for good: it stops working at once. Revoking it again changes nothing."""
    if not 0 < key_id < 2**63:
        raise not_found("API key", key_id)
    key = await api_key_store.find_api_key(conn, key_id=key_id)
    if key is None or not _visible(user, key):
        raise not_found("API key", key_id)
    if key.active:
        revoked = await api_key_store.revoke_api_key(conn, key_id=key_id)
        assert revoked is not None  # it was just found
        await audit_store.record(
            conn,
            AuditRecord(
                AuditEvent.API_KEY_REVOKED,
                subject_login=key.owner_login,
                actor_login=user.login,
                client_address=client_address(request),
                detail=_describe(revoked),
            ),
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _owner(conn: ConnDep, user: User, login: str | None) -> User:
    """Whose key it will be: the caller's own, or for administrators any active user's."""
    if login is None or login == user.login:
        return user
    if not _may_manage_all(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may create keys only for yourself")
    account = await find_account(conn, login=login)
    if account is None or not account.active:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active user {login!r}")
    return account.user


def _key_customer(plant: Plant, user: User, owner: User, requested: str | None) -> str | None:
    """The customer the key is bound to: a customer's own, or one the plant file knows."""
    confined = next(
        (u.customer_id for u in (user, owner) if u.role is Role.CUSTOMER and u.customer_id),
        None,
    )
    if confined is not None:
        if requested not in (None, confined):
            raise not_found("customer", repr(requested))
        return confined
    if requested is not None and requested not in {c.id for c in plant.customers}:
        raise not_found("customer", repr(requested))
    return requested


def _created_before(key: ApiKey) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        f"this Idempotency-Key created API key {key.id} before; its key was shown only then",
    )


def _describe(key: ApiKey) -> str:
    scope = f", customer {key.customer_id}" if key.customer_id else ""
    return f"key {key.id} {key.name!r} ({key.access}{scope})"
