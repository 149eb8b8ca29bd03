"""Webhook subscriptions in the database: who receives signed calls, for which customer.

A deleted webhook stays for its delivery log; deleting or pausing one cancels
the notices it has not yet received.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.notifications import NoticeKind, WebhookSubscription
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_SUBSCRIPTION_COLUMNS = "id, url, customer_id, kinds, description, active, created_by, created_at"


async def create_subscription(
    conn: Connection,
    *,
    url: str,
    secret: str,
    customer_id: str | None,
    kinds: Sequence[NoticeKind],
    description: str,
    created_by: str,
) -> WebhookSubscription:
    cursor = await conn.execute(
        "INSERT INTO webhook_subscriptions (url, secret, customer_id, kinds, description,"
        " created_by) VALUES (%s, %s, %s, %s, %s, %s)"
        f" RETURNING {_SUBSCRIPTION_COLUMNS}",
        (url, secret, customer_id, [k.value for k in kinds], description, created_by),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT ... RETURNING of one row
    return _subscription(row)


async def list_subscriptions(
    conn: Connection, *, scope: CustomerScope
) -> list[WebhookSubscription]:
    """The scope's webhooks not deleted, oldest first."""
    cursor = await conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions"
        f" WHERE deleted_at IS NULL AND {scope_filter('customer', 'customer_id')} ORDER BY id",
        scope.params,
    )
    return [_subscription(row) for row in await cursor.fetchall()]


async def live_subscriptions(conn: Connection) -> list[WebhookSubscription]:
    """Webhooks that receive notices now: active and not deleted."""
    cursor = await conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions"
        " WHERE deleted_at IS NULL AND active ORDER BY id"
    )
    return [_subscription(row) for row in await cursor.fetchall()]


async def get_subscription(conn: Connection, *, subscription_id: int) -> WebhookSubscription | None:
    cursor = await conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions"
        " WHERE id = %s AND deleted_at IS NULL",
        (subscription_id,),
    )
    row = await cursor.fetchone()
    return _subscription(row) if row else None


async def update_subscription(
    conn: Connection,
    *,
    subscription_id: int,
    url: str,
    kinds: Sequence[NoticeKind],
    description: str,
    active: bool,
) -> WebhookSubscription | None:
    """Change a webhook; pausing it cancels what it has not yet received."""
    cursor = await conn.execute(
        "UPDATE webhook_subscriptions SET url = %s, kinds = %s, description = %s, active = %s"
        f" WHERE id = %s AND deleted_at IS NULL RETURNING {_SUBSCRIPTION_COLUMNS}",
        (url, [k.value for k in kinds], description, active, subscription_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    if not active:
        await _cancel_pending(conn, subscription_id=subscription_id)
    return _subscription(row)


async def replace_secret(conn: Connection, *, subscription_id: int, secret: str) -> bool:
    """Sign from now on with a new secret; False when there is no such webhook."""
    cursor = await conn.execute(
        "UPDATE webhook_subscriptions SET secret = %s WHERE id = %s AND deleted_at IS NULL",
        (secret, subscription_id),
    )
    return cursor.rowcount == 1


async def delete_subscription(conn: Connection, *, subscription_id: int, at: datetime) -> bool:
    """Retire a webhook; its delivery log stays, what it has not yet received is cancelled."""
    cursor = await conn.execute(
        "UPDATE webhook_subscriptions SET deleted_at = %s, active = false"
        " WHERE id = %s AND deleted_at IS NULL",
        (at, subscription_id),
    )
    if cursor.rowcount != 1:
        return False
    await _cancel_pending(conn, subscription_id=subscription_id)
    return True


async def _cancel_pending(conn: Connection, *, subscription_id: int) -> None:
    await conn.execute(
        "UPDATE notification_deliveries SET status = 'cancelled', next_attempt_at = NULL"
        " WHERE subscription_id = %s AND status = 'pending'",
        (subscription_id,),
    )


async def subscription_for_key(conn: Connection, *, user_id: int, key: str) -> int | None:
    """The webhook a creation with this idempotency key made, if it was made before."""
    cursor = await conn.execute(
        "SELECT subscription_id FROM webhook_idempotency_keys WHERE user_id = %s AND key = %s",
        (user_id, key),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else None


async def remember_key(conn: Connection, *, user_id: int, key: str, subscription_id: int) -> bool:
    """Tie the key to the webhook; False when a concurrent request took the key first."""
    cursor = await conn.execute(
        "INSERT INTO webhook_idempotency_keys (user_id, key, subscription_id)"
        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (user_id, key, subscription_id),
    )
    return cursor.rowcount == 1


async def subscription_secret(conn: Connection, *, subscription_id: int) -> str | None:
    """The current signing secret, shown to the one who created or replaced it."""
    cursor = await conn.execute(
        "SELECT secret FROM webhook_subscriptions WHERE id = %s AND deleted_at IS NULL",
        (subscription_id,),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


def _subscription(row: tuple[Any, ...]) -> WebhookSubscription:
    return WebhookSubscription(
        id=row[0],
        url=row[1],
        customer_id=row[2],
        kinds=tuple(NoticeKind(k) for k in row[3]),
        description=row[4],
        active=row[5],
        created_by=row[6],
        created_at=row[7],
    )
