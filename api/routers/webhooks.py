"""/api/v1/webhooks: signed webhook subscriptions for ticket notices.

Administrators manage every webhook: staff ones (every ticket) and ones bound
to a customer. A customer user manages their own customer's webhooks only,
which hear of that customer's tickets in plain language; another customer's
answers 404. The signing secret is shown when a webhook is made or its secret
replaced, never again.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response, status

from api.access_scope import customer_filter, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, slice_page
from api.schemas.notifications import (
    WebhookCreate,
    WebhookPublic,
    WebhookSecretPublic,
    WebhookUpdate,
)
from api.ticket_clock import NowDep
from models.notifications import WebhookSubscription
from models.plant import Plant
from models.users import Role, User
from storage import webhook_store
from storage.connections import Connection

router = APIRouter(prefix="/webhooks", tags=["notifications"])

WebhookId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_MAY_MANAGE = frozenset({Role.ADMIN, Role.CUSTOMER})
_SECRET_BYTES = 32


@router.get("")
async def list_webhooks(
    user: CurrentUser, conn: ConnDep, page: PageDep, request: Request, response: Response
) -> list[WebhookPublic]:
    """The webhooks the user manages, oldest first (without secrets), a page at a time
    (``Link`` header): a customer's own, or for administrators every customer's."""
    _check_may_manage(user)
    # A customer has a handful; the page is cut here rather than in SQL.
    hooks = await webhook_store.list_subscriptions(conn, scope=scope_of(user))
    return [WebhookPublic.of(h) for h in slice_page(hooks, page, request, response)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_webhook(
    body: WebhookCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookSecretPublic:
    """Subscribe a URL to ticket notices; 201 with the signing secret, shown this once.

    The same ``Idempotency-Key`` again answers 200 with the same webhook and secret.
    """
    _check_may_manage(user)
    customer_id = _customer_for(user, plant, body.customer_id)
    if user.role is Role.CUSTOMER:
        _check_customer_url(body.url)
    await conn.commit()  # the creation's transaction must be its own
    made = await _create_once(conn, user, body, customer_id, idempotency_key)
    if made is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the idempotency key is in use; retry")
    hook, created = made
    if not created:
        response.status_code = status.HTTP_200_OK
    return await _with_secret(conn, hook)


@router.get("/{webhook_id}")
async def get_webhook(webhook_id: WebhookId, user: CurrentUser, conn: ConnDep) -> WebhookPublic:
    """One webhook (without its secret); another customer's answers 404."""
    _check_may_manage(user)
    return WebhookPublic.of(await _visible(conn, user, webhook_id))


@router.patch("/{webhook_id}")
async def update_webhook(
    webhook_id: WebhookId, body: WebhookUpdate, user: CurrentUser, conn: ConnDep
) -> WebhookPublic:
    """Change the URL, kinds, description, or pause it (``active`` false)."""
    _check_may_manage(user)
    hook = await _visible(conn, user, webhook_id)
    if body.url is not None and user.role is Role.CUSTOMER:
        _check_customer_url(body.url)
    updated = await webhook_store.update_subscription(
        conn,
        subscription_id=webhook_id,
        url=body.url if body.url is not None else hook.url,
        kinds=body.kinds if body.kinds is not None else hook.kinds,
        description=body.description if body.description is not None else hook.description,
        active=body.active if body.active is not None else hook.active,
    )
    if updated is None:
        raise not_found("webhook", webhook_id)
    await conn.commit()  # committed before we answer
    return WebhookPublic.of(updated)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(
    webhook_id: WebhookId, user: CurrentUser, conn: ConnDep, now: NowDep
) -> None:
    """Delete the webhook; its delivery log stays, notices not yet sent are cancelled."""
    _check_may_manage(user)
    await _visible(conn, user, webhook_id)
    if not await webhook_store.delete_subscription(conn, subscription_id=webhook_id, at=now):
        raise not_found("webhook", webhook_id)
    await conn.commit()  # committed before we answer


@router.post("/{webhook_id}/secret")
async def replace_secret(
    webhook_id: WebhookId, user: CurrentUser, conn: ConnDep
) -> WebhookSecretPublic:
    """Replace the signing secret; the new one is shown this once and signs every call
    from now on, retries of earlier notices included."""
    _check_may_manage(user)
    hook = await _visible(conn, user, webhook_id)
    await webhook_store.replace_secret(conn, subscription_id=webhook_id, secret=_new_secret())
    return await _with_secret(conn, hook)


def _check_may_manage(user: User) -> None:
    if user.role not in _MAY_MANAGE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "webhooks are managed by administrators, and by customers for their own tickets",
        )


def _customer_for(user: User, plant: Plant, wanted: str | None) -> str | None:
    """The customer the new webhook is bound to: a customer user's own, always."""
    confined_to = customer_filter(user)
    if confined_to is not None:
        if wanted not in (None, confined_to):
            raise not_found("customer", repr(wanted))
        return confined_to
    if wanted is not None and wanted not in {c.id for c in plant.customers}:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"there is no customer {wanted!r}"
        )
    return wanted


def _check_customer_url(url: str) -> None:
    """A customer's webhook must go out over https to a public host, never into our network."""
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme != "https":
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the URL must be https://")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        internal = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    else:
        internal = not address.is_global
    if internal:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the URL's host {host!r} is not a public address",
        )


async def _visible(conn: Connection, user: User, webhook_id: int) -> WebhookSubscription:
    hook = await webhook_store.get_subscription(conn, subscription_id=webhook_id)
    confined_to = customer_filter(user)
    if hook is None or (confined_to is not None and hook.customer_id != confined_to):
        raise not_found("webhook", webhook_id)
    return hook


async def _create_once(
    conn: Connection,
    user: User,
    body: WebhookCreate,
    customer_id: str | None,
    key: str | None,
) -> tuple[WebhookSubscription, bool] | None:
    """The new webhook and True, or the one this key made before and False; None when a
    concurrent request holding the key has not finished."""
    if key is not None:
        earlier = await _made_with(conn, user, key)
        if earlier is not None:
            return earlier, False
    try:
        async with conn.transaction():
            hook = await webhook_store.create_subscription(
                conn,
                url=body.url,
                secret=_new_secret(),
                customer_id=customer_id,
                kinds=body.kinds,
                description=body.description,
                created_by=user.login,
            )
            if key is not None and not await webhook_store.remember_key(
                conn, user_id=user.id, key=key, subscription_id=hook.id
            ):
                raise _KeyTaken
    except _KeyTaken:
        assert key is not None
        earlier = await _made_with(conn, user, key)
        return (earlier, False) if earlier is not None else None
    return hook, True


class _KeyTaken(Exception):
    pass


async def _made_with(conn: Connection, user: User, key: str) -> WebhookSubscription | None:
    made = await webhook_store.subscription_for_key(conn, user_id=user.id, key=key)
    if made is None:
        return None
    return await webhook_store.get_subscription(conn, subscription_id=made)


async def _with_secret(conn: Connection, hook: WebhookSubscription) -> WebhookSecretPublic:
    secret = await webhook_store.subscription_secret(conn, subscription_id=hook.id)
    if secret is None:
        raise not_found("webhook", hook.id)
    await conn.commit()  # committed before we answer
    return WebhookSecretPublic(**WebhookPublic.of(hook).model_dump(), secret=secret)


def _new_secret() -> str:
    """32 random bytes, URL-safe, recognisable by their prefix in a receiver's config."""
    return f"whsec_{secrets.token_urlsafe(_SECRET_BYTES)}"
