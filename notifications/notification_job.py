"""The notification job: read new ticket events into the outbox, then deliver what is due.

It reads only what the ticket workflow already stored, in its own
transactions, and sends outside any transaction, so a receiver that is down
or slow never holds up a ticket. Several workers may run it at once: an event
yields its notices once (``storage.notification_store.claim_events``) and a
delivery is sent by one worker at a time (``claim_due``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from models.notifications import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    DeliveryTarget,
    Notice,
    NotificationPolicy,
    TicketNoticeFacts,
)
from notifications.delivery_backoff import next_step
from notifications.email_delivery import send_email
from notifications.notice_rules import TRIGGER_EVENT_KINDS, Recipients, notices_for
from notifications.webhook_delivery import send_webhook, webhook_client
from storage import notification_store, webhook_store
from storage.connections import Pool

log = logging.getLogger(__name__)

_PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DerivedNotices:
    """Events read for notices by this worker, and the notices it queued."""

    events: int = 0
    notices: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What became of the deliveries one worker took in one round."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def taken(self) -> int:
        return self.delivered + self.retrying + self.failed + self.skipped + self.cancelled


async def derive_notices(
    pool: Pool, *, staff_emails: tuple[str, ...], now: datetime, limit: int = 100
) -> DerivedNotices:
    """Queue the notices of up to ``limit`` new ticket events, each event exactly once."""
    async with pool.connection() as conn, conn.transaction():
        after = await notification_store.hold_cursor(conn)
        facts = await notification_store.underived_events(
            conn, after=after, kinds=TRIGGER_EVENT_KINDS, limit=limit
        )
        if not facts:
            return DerivedNotices()
        claimed = await notification_store.claim_events(conn, event_ids=[f.event_id for f in facts])
        recipients = Recipients(
            staff_emails=staff_emails,
            webhooks=tuple(await webhook_store.live_subscriptions(conn)),
        )
        notices = [
            notice for f in facts if f.event_id in claimed for notice in _notices_of(f, recipients)
        ]
        queued = await notification_store.queue_notices(conn, notices=notices, at=now)
    return DerivedNotices(events=len(claimed), notices=queued)


async def deliver_due(
    pool: Pool, policy: NotificationPolicy, *, http: httpx.AsyncClient, now: datetime
) -> DeliveryRound:
    """Send the deliveries due by ``now`` (a batch), and log each try with its outcome."""
    async with pool.connection() as conn:
        targets = await notification_store.claim_due(
            conn, now=now, lease=policy.lease, limit=policy.batch_size
        )
    if not targets:
        return DeliveryRound()
    gate = asyncio.Semaphore(policy.concurrent_sends)

    async def attempt(target: DeliveryTarget) -> tuple[AttemptOutcome | None, int]:
        async with gate:
            started = time.monotonic()
            try:
                # A hard bound, so the batch ends before its lease does.
                async with asyncio.timeout(policy.send_timeout_s):
                    outcome = await _send(target, policy, http)
            except TimeoutError:
                outcome = AttemptOutcome(
                    delivered=False, error=f"no answer within {policy.send_timeout_s:g} s"
                )
            except Exception as error:
                # A fault of ours in one send must not stall the batch: logged and retried.
                log.exception("sending delivery %s failed", target.delivery.id)
                outcome = AttemptOutcome(delivered=False, error=f"{type(error).__name__}: {error}")
            return outcome, round((time.monotonic() - started) * 1000)

    results = await asyncio.gather(*(attempt(t) for t in targets))
    counts = dict.fromkeys(DeliveryStatus, 0)
    async with pool.connection() as conn:
        for target, (outcome, duration_ms) in zip(targets, results, strict=True):
            delivery = target.delivery
            if outcome is None:
                await notification_store.cancel_delivery(
                    conn, delivery_id=delivery.id, reason="the webhook was deleted or paused"
                )
                counts[DeliveryStatus.CANCELLED] += 1
                continue
            number = delivery.attempts + 1
            status, next_at = next_step(policy.retry, outcome, attempts=number, now=now)
            recorded = await notification_store.record_attempt(
                conn,
                attempt=DeliveryAttempt(
                    delivery.id, number, now, outcome.status_code, outcome.error, duration_ms
                ),
                status=status,
                next_attempt_at=next_at,
            )
            if recorded:
                counts[status] += 1
                _log_outcome(target, status, outcome)
    return DeliveryRound(
        delivered=counts[DeliveryStatus.DELIVERED],
        retrying=counts[DeliveryStatus.PENDING],
        failed=counts[DeliveryStatus.FAILED],
        skipped=counts[DeliveryStatus.SKIPPED],
        cancelled=counts[DeliveryStatus.CANCELLED],
    )


async def notification_cycle(
    pool: Pool, policy: NotificationPolicy, *, http: httpx.AsyncClient, now: datetime
) -> DeliveryRound:
    """Read every new event into the outbox, move the cursor on, and send one batch."""
    while True:
        derived = await derive_notices(
            pool, staff_emails=policy.staff_emails, now=now, limit=policy.batch_size
        )
        if derived.events < policy.batch_size:
            break
    async with pool.connection() as conn:
        await notification_store.advance_cursor(conn, settled_after=policy.settled_after)
    return await deliver_due(pool, policy, http=http, now=now)


async def prune_log(pool: Pool, policy: NotificationPolicy, *, now: datetime) -> int:
    """Drop finished deliveries older than the log keeps them; returns how many."""
    pruned = 0
    async with pool.connection() as conn:
        while True:
            batch = await notification_store.prune_deliveries(
                conn, before=now - policy.log_retention, batch_size=policy.batch_size
            )
            pruned += batch
            if batch < policy.batch_size:
                return pruned


async def run_notifications(pool: Pool, policy: NotificationPolicy) -> None:
    """The job as a long-running task beside the ticket cycle, until cancelled."""
    last_pruned = datetime.min.replace(tzinfo=UTC)
    async with webhook_client(policy.webhook_timeout_s) as http:
        while True:
            try:
                now = datetime.now(UTC)
                if now - last_pruned > _PRUNE_EVERY:
                    await prune_log(pool, policy, now=now)
                    last_pruned = now
                sent = await notification_cycle(pool, policy, http=http, now=now)
                if sent.taken == policy.batch_size:
                    continue  # more are due: no pause
            except psycopg.Error as error:
                # The outbox keeps everything: the next cycle picks up where this one failed.
                log.warning("notification cycle failed, retrying next cycle: %s", error)
            except Exception:
                log.exception("notification cycle failed, retrying next cycle")
            await asyncio.sleep(policy.interval_s)


def _notices_of(facts: TicketNoticeFacts, recipients: Recipients) -> list[Notice]:
    """The event's notices; none, logged, if they cannot be made, so one bad event never
    holds up every later one."""
    try:
        return notices_for(facts, recipients)
    except Exception:
        log.exception("no notices for ticket event %s: they could not be made", facts.event_id)
        return []


async def _send(
    target: DeliveryTarget, policy: NotificationPolicy, http: httpx.AsyncClient
) -> AttemptOutcome | None:
    """One try; None when the delivery's webhook no longer wants it."""
    notice = target.delivery.notice
    if notice.channel is DeliveryChannel.EMAIL:
        assert notice.email_to is not None  # a CHECK constraint holds e-mails to an address
        return await send_email(
            policy.smtp,
            to=notice.email_to,
            subject=notice.subject,
            body=notice.body,
            delivery_id=target.delivery.id,
        )
    if not target.subscription_live or target.url is None or target.secret is None:
        return None
    return await send_webhook(
        http,
        url=target.url,
        secret=target.secret,
        delivery_id=target.delivery.id,
        event=notice.kind.value,
        payload=notice.payload,
        # Receivers check freshness against their own clock: sign with the wall clock.
        timestamp=int(time.time()),
    )


def _log_outcome(target: DeliveryTarget, status: DeliveryStatus, outcome: AttemptOutcome) -> None:
    delivery = target.delivery
    notice = delivery.notice
    to = notice.email_to if notice.channel is DeliveryChannel.EMAIL else target.url
    if status is DeliveryStatus.SKIPPED:
        log.info(
            "%s notice of %s to %s skipped: %s",
            notice.kind,
            delivery.ticket_number,
            to,
            outcome.error,
        )
    elif status is DeliveryStatus.FAILED:
        log.warning(
            "%s notice of %s to %s failed for good: %s",
            notice.kind,
            delivery.ticket_number,
            to,
            outcome.error,
        )
    elif status is DeliveryStatus.PENDING:
        log.info(
            "%s notice of %s to %s failed, will retry: %s",
            notice.kind,
            delivery.ticket_number,
            to,
            outcome.error,
        )
