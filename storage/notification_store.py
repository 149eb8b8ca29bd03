"""Notifications in the database: the notice outbox and the delivery log.

Notices are derived from ``ticket_events`` behind a cursor: an event is marked
in ``notification_derived_events`` in the same transaction that queues its
notices, so each event yields them once, whichever worker gets there first.
The cursor then moves past events derived longer ago than any transaction
lasts, and their markers are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from models.notifications import (
    Audience,
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    DeliveryTarget,
    Notice,
    NoticeKind,
    TicketNoticeFacts,
)
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_STREAM = "ticket_events"
_DELIVERY_COLUMNS = """
    d.id, d.event_id, d.ticket_id, d.customer_id, d.notice_kind, d.audience, d.channel,
    d.dedupe_key, d.subject, d.body, d.payload::text, d.subscription_id, d.email_to,
    t.number, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
    d.last_status_code, d.last_error, d.delivered_at, d.created_at
"""


# --- deriving notices from ticket events ----------------------------------------------


async def hold_cursor(conn: Connection) -> int:
    """The cursor, held (shared) until the transaction ends so it cannot move meanwhile."""
    cursor = await conn.execute(
        "SELECT last_event_id FROM notification_cursor WHERE stream = %s FOR SHARE", (_STREAM,)
    )
    row = await cursor.fetchone()
    assert row is not None  # seeded by the migration
    return int(row[0])


async def underived_events(
    conn: Connection, *, after: int, kinds: Sequence[str], limit: int
) -> list[TicketNoticeFacts]:
    """Events of these kinds past the cursor not yet read for notices, oldest first."""
    cursor = await conn.execute(
        """
        SELECT e.id, e.kind, e.field, e.old_value, e.new_value, e.at, e.note,
            t.id, t.number, t.status, t.ticket_type, t.channel, t.severity, t.summary,
            t.customer_id, c.name, s.timezone, l.name, m.name, t.contact_name,
            coalesce(nullif(t.contact_email, ''), c.contact_email),
            t.response_due, t.arrival_due, t.resolution_due,
            CASE WHEN e.kind = 'sign_off_requested' THEN (
                -- The move to verified this request follows (the same moment when
                -- both are written together, in either order).
                SELECT v.id FROM ticket_events v
                WHERE v.ticket_id = e.ticket_id AND v.kind = 'transition'
                    AND v.field = 'status' AND v.new_value = 'verified' AND v.at <= e.at
                ORDER BY v.at DESC, v.id DESC LIMIT 1
            ) END,
            CASE WHEN e.kind = 'transition' AND e.new_value = 'dispatched' THEN (
                -- The engineer a dispatch written with the move names.
                SELECT coalesce(u.display_name, d.new_value) FROM ticket_events d
                LEFT JOIN users u ON u.login = d.new_value
                WHERE d.ticket_id = e.ticket_id AND d.kind = 'dispatch' AND d.at = e.at
                ORDER BY d.id DESC LIMIT 1
            ) END,
            CASE WHEN e.kind = 'registered' THEN (
                -- A person's request read back to the customer when it was registered.
                SELECT c.note FROM ticket_events c
                WHERE c.ticket_id = e.ticket_id AND c.kind = 'confirmation'
                ORDER BY c.id LIMIT 1
            ) END
        FROM ticket_events e
        JOIN tickets t ON t.id = e.ticket_id
        JOIN customers c ON c.id = t.customer_id
        JOIN lines l ON l.id = t.line_id
        JOIN sites s ON s.id = l.site_id
        JOIN machines m ON m.id = t.machine_id
        WHERE e.id > %(after)s AND e.kind = ANY(%(kinds)s)
            AND NOT EXISTS (
                SELECT 1 FROM notification_derived_events d WHERE d.event_id = e.id
            )
        ORDER BY e.id
        LIMIT %(limit)s
        """,
        {"after": after, "kinds": list(kinds), "limit": limit},
    )
    return [_facts(row) for row in await cursor.fetchall()]


async def claim_events(conn: Connection, *, event_ids: Sequence[int]) -> set[int]:
    """Mark events as read for notices; returns those no other worker had marked.

    Rows go in in id order, so two workers claiming overlapping events wait on
    each other instead of deadlocking; the later one finds them taken.
    """
    cursor = await conn.execute(
        "INSERT INTO notification_derived_events (event_id)"
        " SELECT id FROM unnest(%s::bigint[]) AS id ORDER BY id"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        (sorted(event_ids),),
    )
    return {int(row[0]) for row in await cursor.fetchall()}


async def queue_notices(conn: Connection, *, notices: Sequence[Notice], at: datetime) -> int:
    """Put notices in the outbox, due at ``at``; returns how many were new."""
    queued = 0
    for notice in notices:
        cursor = await conn.execute(
            """
            INSERT INTO notification_deliveries (event_id, ticket_id, customer_id, notice_kind,
                audience, channel, subscription_id, email_to, dedupe_key, subject, body,
                payload, next_attempt_at, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
            ON CONFLICT DO NOTHING
            """,
            (
                notice.event_id,
                notice.ticket_id,
                notice.customer_id,
                notice.kind.value,
                notice.audience.value,
                notice.channel.value,
                notice.subscription_id,
                notice.email_to,
                notice.dedupe_key,
                notice.subject,
                notice.body,
                notice.payload,
                at,
                at,
            ),
        )
        queued += cursor.rowcount
    return queued


async def advance_cursor(conn: Connection, *, settled_after: timedelta) -> int:
    """Move the cursor past the events derived more than ``settled_after`` ago.

    By then any event numbered before them has been committed (no transaction
    lasts that long) and read. Their markers are no longer needed. Returns the
    cursor.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT last_event_id FROM notification_cursor WHERE stream = %s FOR UPDATE",
            (_STREAM,),
        )
        row = await cursor.fetchone()
        assert row is not None  # seeded by the migration
        cursor = await conn.execute(
            "SELECT max(event_id) FROM notification_derived_events"
            " WHERE derived_at < now() - %s::interval",
            (settled_after,),
        )
        settled = await cursor.fetchone()
        position = max(int(row[0]), int(settled[0]) if settled and settled[0] else 0)
        await conn.execute(
            "UPDATE notification_cursor SET last_event_id = %s WHERE stream = %s",
            (position, _STREAM),
        )
        await conn.execute(
            "DELETE FROM notification_derived_events WHERE event_id <= %s", (position,)
        )
    return position


def _facts(row: tuple[Any, ...]) -> TicketNoticeFacts:
    return TicketNoticeFacts(
        event_id=row[0],
        event_kind=row[1],
        field=row[2],
        old_value=row[3],
        new_value=row[4],
        at=row[5],
        note=row[6],
        ticket_id=row[7],
        ticket_number=row[8],
        ticket_status=row[9],
        ticket_type=row[10],
        channel=row[11],
        severity=row[12],
        summary=row[13],
        customer_id=row[14],
        customer_name=row[15],
        site_timezone=row[16],
        line_name=row[17],
        machine_name=row[18],
        contact_name=row[19],
        contact_email=row[20],
        response_due=row[21],
        arrival_due=row[22],
        resolution_due=row[23],
        sign_off_round=row[24],
        engineer_name=row[25],
        confirmation=row[26],
    )


# --- delivering -------------------------------------------------------------------------


async def claim_due(
    conn: Connection, *, now: datetime, lease: timedelta, limit: int
) -> list[DeliveryTarget]:
    """Take deliveries due by ``now`` for ``lease``: other workers skip them meanwhile.

    A worker that dies while sending leaves them to be taken again when the
    lease ends, so a notice goes out at least once.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            f"""
            WITH due AS (
                SELECT id FROM notification_deliveries
                WHERE status = 'pending' AND next_attempt_at <= %(now)s
                ORDER BY next_attempt_at, id
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            ), taken AS (
                UPDATE notification_deliveries d SET next_attempt_at = %(until)s
                FROM due WHERE d.id = due.id
                RETURNING d.*
            )
            SELECT {_DELIVERY_COLUMNS}, w.url, w.secret,
                w.id IS NULL OR (w.active AND w.deleted_at IS NULL)
            FROM taken d
            JOIN tickets t ON t.id = d.ticket_id
            LEFT JOIN webhook_subscriptions w ON w.id = d.subscription_id
            ORDER BY d.id
            """,
            {"now": now, "limit": limit, "until": now + lease},
        )
        rows = await cursor.fetchall()
    return [
        DeliveryTarget(
            delivery=_delivery(row), url=row[22], secret=row[23], subscription_live=row[24]
        )
        for row in rows
    ]


async def record_attempt(
    conn: Connection,
    *,
    attempt: DeliveryAttempt,
    status: DeliveryStatus,
    next_attempt_at: datetime | None,
) -> bool:
    """Log one try and where the delivery stands after it.

    False when the try had been recorded already (a worker whose lease ran out
    while it was sending); its result is then dropped.
    """
    async with conn.transaction():
        cursor = await conn.execute(
            "INSERT INTO notification_attempts (delivery_id, attempt, at, status_code, error,"
            " duration_ms) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                attempt.delivery_id,
                attempt.attempt,
                attempt.at,
                attempt.status_code,
                attempt.error,
                attempt.duration_ms,
            ),
        )
        if cursor.rowcount != 1:
            return False
        await conn.execute(
            """
            UPDATE notification_deliveries SET status = %(status)s, attempts = %(attempt)s,
                next_attempt_at = %(next)s, last_attempt_at = %(at)s,
                last_status_code = %(code)s, last_error = %(error)s,
                delivered_at = CASE WHEN %(status)s = 'delivered' THEN %(at)s END
            WHERE id = %(id)s AND status = 'pending'
            """,
            {
                "id": attempt.delivery_id,
                "status": status.value,
                "attempt": attempt.attempt,
                "next": next_attempt_at,
                "at": attempt.at,
                "code": attempt.status_code,
                "error": attempt.error,
            },
        )
    return True


async def cancel_delivery(conn: Connection, *, delivery_id: int, reason: str) -> None:
    """Give up a delivery that should no longer go out, saying why."""
    await conn.execute(
        "UPDATE notification_deliveries SET status = 'cancelled', next_attempt_at = NULL,"
        " last_error = %s WHERE id = %s AND status = 'pending'",
        (reason, delivery_id),
    )


async def retry_delivery(conn: Connection, *, delivery_id: int) -> bool:
    """Try a failed delivery once more, now (the wall clock of the job, not the plant's);
    False unless it had failed."""
    cursor = await conn.execute(
        "UPDATE notification_deliveries SET status = 'pending', next_attempt_at = now()"
        " WHERE id = %s AND status = 'failed'",
        (delivery_id,),
    )
    return cursor.rowcount == 1


async def prune_deliveries(conn: Connection, *, before: datetime, batch_size: int) -> int:
    """Drop finished deliveries made before ``before``, with their tries, a batch at a time;
    returns how many went. Pending ones stay whatever their age."""
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT id FROM notification_deliveries WHERE status <> 'pending'"
            " AND created_at < %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            (before, batch_size),
        )
        ids = [int(row[0]) for row in await cursor.fetchall()]
        if ids:
            await conn.execute(
                "DELETE FROM notification_attempts WHERE delivery_id = ANY(%s)", (ids,)
            )
            await conn.execute("DELETE FROM notification_deliveries WHERE id = ANY(%s)", (ids,))
    return len(ids)


async def list_deliveries(
    conn: Connection,
    *,
    scope: CustomerScope,
    ticket_id: int | None = None,
    subscription_id: int | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Delivery]:
    """The delivery log, newest first.

    Scoped to a customer, only that customer's own notices (never the staff's about
    their tickets); ``EVERY_CUSTOMER``: everything.
    """
    cursor = await conn.execute(
        f"""
        SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d
        JOIN tickets t ON t.id = d.ticket_id
        WHERE {scope_filter("customer", "d.customer_id")}
            AND (%(scope_customer)s::text IS NULL OR d.audience = 'customer')
            AND (%(ticket)s::bigint IS NULL OR d.ticket_id = %(ticket)s)
            AND (%(subscription)s::bigint IS NULL OR d.subscription_id = %(subscription)s)
            AND (%(status)s::text IS NULL OR d.status = %(status)s)
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            **scope.params,
            "ticket": ticket_id,
            "subscription": subscription_id,
            "status": status.value if status else None,
            "limit": limit,
            "offset": offset,
        },
    )
    return [_delivery(row) for row in await cursor.fetchall()]


async def get_delivery(conn: Connection, *, delivery_id: int) -> Delivery | None:
    cursor = await conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d"
        " JOIN tickets t ON t.id = d.ticket_id WHERE d.id = %s",
        (delivery_id,),
    )
    row = await cursor.fetchone()
    return _delivery(row) if row else None


async def attempts_of(conn: Connection, *, delivery_id: int) -> list[DeliveryAttempt]:
    """A delivery's tries, first first."""
    cursor = await conn.execute(
        "SELECT delivery_id, attempt, at, status_code, error, duration_ms"
        " FROM notification_attempts WHERE delivery_id = %s ORDER BY attempt",
        (delivery_id,),
    )
    return [DeliveryAttempt(*row) for row in await cursor.fetchall()]


def _delivery(row: tuple[Any, ...]) -> Delivery:
    notice = Notice(
        event_id=row[1],
        ticket_id=row[2],
        customer_id=row[3],
        kind=NoticeKind(row[4]),
        audience=Audience(row[5]),
        channel=DeliveryChannel(row[6]),
        dedupe_key=row[7],
        subject=row[8],
        body=row[9],
        payload=row[10],
        subscription_id=row[11],
        email_to=row[12],
    )
    return Delivery(
        id=row[0],
        notice=notice,
        ticket_number=row[13],
        status=DeliveryStatus(row[14]),
        attempts=row[15],
        next_attempt_at=row[16],
        last_attempt_at=row[17],
        last_status_code=row[18],
        last_error=row[19],
        delivered_at=row[20],
        created_at=row[21],
    )
