"""The notification job against real TimescaleDB, a real HTTP receiver and a real SMTP server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from models.notifications import DeliveryStatus, NoticeKind, SmtpServer
from notifications.notification_job import (
    deliver_due,
    derive_notices,
    notification_cycle,
    prune_log,
    run_notifications,
)
from storage import notification_store, ticket_store, webhook_store
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from tests.api.factories import T0, insert_ticket
from tests.notifications.conftest import SmtpInbox, policy
from tests.notifications.webhook_receiver import WebhookReceiver, running_receiver

pytestmark = pytest.mark.integration

NORDBRAU_CONTACT = "a.keller@nordbrau.example"
NOW = T0 + timedelta(minutes=5)


async def open_ticket(conn: Connection, *, customer_id: str = "nordbrau") -> int:
    """A ticket with its 'registered' event, as the workflow writes it."""
    line, machine = (
        ("line-1", "l1-filler") if customer_id == "nordbrau" else ("line-3", "l3-packer")
    )
    ticket_id = await insert_ticket(conn, customer_id=customer_id, line_id=line, machine_id=machine)
    await ticket_store.append_event(
        conn,
        ticket_id=ticket_id,
        at=T0,
        kind="registered",
        note="opened by alert #17 (rule anomaly)",
        field="status",
        new_value="registered",
    )
    return ticket_id


async def subscribe(
    conn: Connection, url: str, *, customer_id: str | None = None, secret: str = "whsec_t"
) -> int:
    hook = await webhook_store.create_subscription(
        conn,
        url=url,
        secret=secret,
        customer_id=customer_id,
        kinds=(),
        description="",
        created_by="test-admin",
    )
    return hook.id


async def webhook_deliveries(pool: Pool, subscription_id: int) -> list[int]:
    async with pool.connection() as conn:
        deliveries = await notification_store.list_deliveries(
            conn, scope=EVERY_CUSTOMER, subscription_id=subscription_id
        )
    return [d.id for d in deliveries]


async def test_a_webhook_call_is_signed_and_the_receiver_verifies_it(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with running_receiver(WebhookReceiver(secret="whsec_nordbrau")) as receiver:
        async with seeded_pool.connection() as conn:
            hook = await subscribe(
                conn, receiver.url, customer_id="nordbrau", secret="whsec_nordbrau"
            )
            await open_ticket(conn)
        await notification_cycle(seeded_pool, policy(), http=http, now=NOW)

    (call,) = receiver.calls
    assert call.signature_ok
    assert call.headers["x-linecare-event"] == "ticket_opened"
    payload = json.loads(call.body)
    assert payload["type"] == "ticket_opened" and payload["audience"] == "customer"
    assert payload["ticket"]["machine"] == "Filler"
    assert "alert" not in call.body.decode().lower()
    (delivery_id,) = await webhook_deliveries(seeded_pool, hook)
    assert call.headers["x-linecare-delivery"] == str(delivery_id)
    async with seeded_pool.connection() as conn:
        delivery = await notification_store.get_delivery(conn, delivery_id=delivery_id)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )


async def test_a_receiver_failing_twice_gets_it_on_the_third_try_after_backing_off(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with running_receiver(WebhookReceiver(secret="whsec_t", answers=[500, 503])) as receiver:
        async with seeded_pool.connection() as conn:
            hook = await subscribe(conn, receiver.url)
            await open_ticket(conn)
        rules = policy()
        await notification_cycle(seeded_pool, rules, http=http, now=NOW)
        (delivery_id,) = await webhook_deliveries(seeded_pool, hook)
        async with seeded_pool.connection() as conn:
            first = await notification_store.get_delivery(conn, delivery_id=delivery_id)
        assert first is not None and first.status is DeliveryStatus.PENDING
        assert first.next_attempt_at == NOW + timedelta(seconds=30)
        assert first.last_error == "the receiver answered 500 Internal Server Error"

        # Not due yet: nobody calls.
        await deliver_due(seeded_pool, rules, http=http, now=NOW + timedelta(seconds=29))
        assert len(receiver.calls) == 1
        await deliver_due(seeded_pool, rules, http=http, now=NOW + timedelta(seconds=30))
        # The second failure doubles the wait.
        await deliver_due(seeded_pool, rules, http=http, now=NOW + timedelta(seconds=89))
        assert len(receiver.calls) == 2
        await deliver_due(seeded_pool, rules, http=http, now=NOW + timedelta(seconds=90))

    assert [c.headers["x-linecare-delivery"] for c in receiver.calls] == [str(delivery_id)] * 3
    assert all(c.signature_ok for c in receiver.calls)
    async with seeded_pool.connection() as conn:
        delivery = await notification_store.get_delivery(conn, delivery_id=delivery_id)
        tries = await notification_store.attempts_of(conn, delivery_id=delivery_id)
    assert delivery is not None and delivery.status is DeliveryStatus.DELIVERED
    assert delivery.delivered_at == NOW + timedelta(seconds=90)
    assert [(t.attempt, t.status_code) for t in tries] == [(1, 500), (2, 503), (3, 200)]
    assert [t.error is None for t in tries] == [False, False, True]


async def test_a_receiver_that_is_down_fails_for_good_after_the_last_try(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        hook = await subscribe(conn, "http://127.0.0.1:9/nobody-listens")
        await open_ticket(conn)
    rules = policy(max_attempts=2)
    await notification_cycle(seeded_pool, rules, http=http, now=NOW)
    await deliver_due(seeded_pool, rules, http=http, now=NOW + timedelta(minutes=1))
    (delivery_id,) = await webhook_deliveries(seeded_pool, hook)
    async with seeded_pool.connection() as conn:
        delivery = await notification_store.get_delivery(conn, delivery_id=delivery_id)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        2,
        None,
    )
    assert delivery.last_error is not None and "ConnectError" in delivery.last_error


async def test_emails_go_to_the_tickets_contact_and_the_staff_over_smtp(
    seeded_pool: Pool, http: httpx.AsyncClient, smtp_inbox: SmtpInbox
) -> None:
    server = SmtpServer(host=smtp_inbox.host, port=smtp_inbox.port, sender="service@linecare.test")
    async with seeded_pool.connection() as conn:
        await open_ticket(conn)
    await notification_cycle(seeded_pool, policy(server), http=http, now=NOW)

    (customer,) = await asyncio.to_thread(smtp_inbox.to, NORDBRAU_CONTACT)
    (staff,) = await asyncio.to_thread(smtp_inbox.to, "desk@linecare.example")
    assert customer["From"] == "service@linecare.test"
    assert customer["Subject"].startswith("LC-2026-")
    text = customer.get_payload()
    assert isinstance(text, str)
    assert "Filler on line Filling line 1" in text and "alert #" not in text
    staff_text = staff.get_payload()
    assert isinstance(staff_text, str) and "alert #17" in staff_text
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
    assert {d.status for d in log} == {DeliveryStatus.DELIVERED}


async def test_without_an_smtp_server_emails_are_skipped_not_failed(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        await open_ticket(conn)
    await notification_cycle(seeded_pool, policy(smtp=None), http=http, now=NOW)
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
    assert len(log) == 2
    assert {(d.status, d.last_error) for d in log} == {
        (DeliveryStatus.SKIPPED, "no SMTP server configured: e-mail not sent")
    }


async def test_two_workers_derive_each_events_notices_exactly_once(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        await subscribe(conn, "http://127.0.0.1:9/staff")
        await subscribe(conn, "http://127.0.0.1:9/nordbrau", customer_id="nordbrau")
        for _ in range(12):
            await open_ticket(conn, customer_id="nordbrau")
            await open_ticket(conn, customer_id="alpenpack")

    async def worker() -> int:
        events = 0
        while True:
            derived = await derive_notices(
                seeded_pool, staff_emails=("desk@linecare.example",), now=NOW, limit=3
            )
            events += derived.events
            if derived.events == 0:
                async with seeded_pool.connection() as conn:
                    left = await notification_store.underived_events(
                        conn, after=0, kinds=("registered",), limit=1
                    )
                if not left:
                    return events
            await asyncio.sleep(0)

    claimed = await asyncio.gather(worker(), worker())
    assert sum(claimed) == 24
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*), count(DISTINCT (dedupe_key, channel, subscription_id, email_to))"
            " FROM notification_deliveries"
        )
        row = await cursor.fetchone()
    # Per Nordbrau ticket: contact, staff e-mail, staff and Nordbrau webhooks;
    # per Alpenpack ticket: contact, staff e-mail, staff webhook.
    assert row == (12 * 4 + 12 * 3, 12 * 4 + 12 * 3)


async def test_two_workers_send_each_delivery_once(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with running_receiver(WebhookReceiver(secret="whsec_t")) as receiver:
        async with seeded_pool.connection() as conn:
            await subscribe(conn, receiver.url)
            for _ in range(10):
                await open_ticket(conn)
        await derive_notices(seeded_pool, staff_emails=(), now=NOW)
        rules = policy()
        await asyncio.gather(*(deliver_due(seeded_pool, rules, http=http, now=NOW) for _ in "ab"))
    ids = sorted(c.headers["x-linecare-delivery"] for c in receiver.calls)
    assert len(ids) == 10 and len(set(ids)) == 10


async def test_an_event_committed_late_with_a_lower_number_is_not_missed(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        early = await open_ticket(conn)
    async with seeded_pool.connection() as slow, slow.transaction():
        # Numbered first, committed last: a long transaction of the ticket workflow.
        await ticket_store.append_event(
            slow,
            ticket_id=early,
            at=T0,
            kind="transition",
            note="",
            field="status",
            new_value="dispatched",
        )
        async with seeded_pool.connection() as conn:
            await open_ticket(conn)
        first = await derive_notices(seeded_pool, staff_emails=(), now=NOW)
        async with seeded_pool.connection() as conn:
            await notification_store.advance_cursor(conn, settled_after=timedelta(minutes=5))
    second = await derive_notices(seeded_pool, staff_emails=(), now=NOW)
    assert (first.events, second.events) == (2, 1)
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
    assert sorted(d.notice.kind for d in log) == [
        NoticeKind.DISPATCHED,
        NoticeKind.TICKET_OPENED,
        NoticeKind.TICKET_OPENED,
    ]


async def test_the_cursor_moves_past_settled_events_and_drops_their_markers(
    seeded_pool: Pool,
) -> None:
    async with seeded_pool.connection() as conn:
        await open_ticket(conn)
    await derive_notices(seeded_pool, staff_emails=(), now=NOW)
    async with seeded_pool.connection() as conn:
        assert await notification_store.advance_cursor(conn, settled_after=timedelta(hours=1)) == 0
        position = await notification_store.advance_cursor(conn, settled_after=timedelta(0))
        cursor = await conn.execute("SELECT count(*) FROM notification_derived_events")
        markers = await cursor.fetchone()
    assert position > 0 and markers == (0,)
    assert (await derive_notices(seeded_pool, staff_emails=(), now=NOW)).events == 0


async def test_a_move_to_verified_and_its_sign_off_request_make_one_notice(
    seeded_pool: Pool,
) -> None:
    async with seeded_pool.connection() as conn:
        ticket = await open_ticket(conn)
        async with conn.transaction():
            at = T0 + timedelta(hours=3)
            await ticket_store.append_event(
                conn,
                ticket_id=ticket,
                at=at,
                kind="transition",
                note="",
                field="status",
                old_value="repaired",
                new_value="verified",
            )
            await ticket_store.append_event(
                conn, ticket_id=ticket, at=at, kind="sign_off_requested", note="please sign"
            )
    await derive_notices(seeded_pool, staff_emails=("desk@linecare.example",), now=NOW)
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
    sign_offs = [d for d in log if d.notice.kind is NoticeKind.SIGN_OFF_REQUESTED]
    assert sorted(d.notice.email_to or "" for d in sign_offs) == [
        NORDBRAU_CONTACT,
        "desk@linecare.example",
    ]


async def test_sla_warnings_reach_the_staff_and_breaches_the_customer_too(
    seeded_pool: Pool,
) -> None:
    async with seeded_pool.connection() as conn:
        ticket = await open_ticket(conn)
        for kind, value in (("sla_warning", "warning"), ("sla_breach", "breach")):
            await ticket_store.append_event(
                conn,
                ticket_id=ticket,
                at=T0 + timedelta(minutes=50),
                kind=kind,
                note="response clock at 80 % of its time",
                field="response_clock",
                new_value=value,
            )
    await derive_notices(seeded_pool, staff_emails=("desk@linecare.example",), now=NOW)
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(
            conn, scope=CustomerScope(customer_id="nordbrau")
        )
    (breach,) = [d for d in log if d.notice.kind is not NoticeKind.TICKET_OPENED]
    assert breach.notice.kind is NoticeKind.SLA_BREACH
    assert breach.notice.email_to == NORDBRAU_CONTACT
    # The response was due an hour after 12:00 UTC: 14:00 in Hamburg.
    assert "first response time" in breach.notice.subject
    assert "it was due 2026-03-02 14:00 CET" in breach.notice.body


async def test_the_running_job_delivers_new_tickets_notices_until_cancelled(
    seeded_pool: Pool,
) -> None:
    async with running_receiver(WebhookReceiver(secret="whsec_t")) as receiver:
        async with seeded_pool.connection() as conn:
            await subscribe(conn, receiver.url)
        job = asyncio.create_task(run_notifications(seeded_pool, policy()))
        async with seeded_pool.connection() as conn:
            await open_ticket(conn)
        async with asyncio.timeout(10):
            while not receiver.calls:  # noqa: ASYNC110 - the receiver records calls, no event
                await asyncio.sleep(0.05)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
    assert job.cancelled()
    assert [c.headers["x-linecare-event"] for c in receiver.calls] == ["ticket_opened"]


async def test_the_log_forgets_finished_deliveries_after_its_retention(
    seeded_pool: Pool, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        await subscribe(conn, "http://127.0.0.1:9/nobody-listens")
        await open_ticket(conn)
    rules = replace(policy(max_attempts=1), log_retention=timedelta(days=90))
    await notification_cycle(seeded_pool, rules, http=http, now=NOW)
    async with seeded_pool.connection() as conn:
        # The skipped e-mail and the failed call are finished; one more stays pending.
        await open_ticket(conn)
    await derive_notices(seeded_pool, staff_emails=(), now=NOW)

    assert await prune_log(seeded_pool, rules, now=NOW + timedelta(days=89)) == 0
    assert await prune_log(seeded_pool, rules, now=NOW + timedelta(days=91)) == 3
    async with seeded_pool.connection() as conn:
        left = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
        cursor = await conn.execute("SELECT count(*) FROM notification_attempts")
        tries = await cursor.fetchone()
    assert {d.status for d in left} == {DeliveryStatus.PENDING}
    assert tries == (0,)


async def test_a_receiver_that_never_answers_is_given_up_on_within_the_timeout(
    seeded_pool: Pool,
) -> None:
    hold = asyncio.Event()
    async with running_receiver(WebhookReceiver(secret="whsec_t", hold=hold)) as receiver:
        async with seeded_pool.connection() as conn:
            hook = await subscribe(conn, receiver.url)
            await open_ticket(conn)
        await derive_notices(seeded_pool, staff_emails=(), now=NOW)
        rules = replace(policy(), webhook_timeout_s=0.5)
        async with asyncio.timeout(5):
            # The client's own timeout is longer: the job's bound ends the try.
            slow_client = httpx.AsyncClient(timeout=60.0)
            async with slow_client:
                await deliver_due(seeded_pool, rules, http=slow_client, now=NOW)
    (delivery_id,) = await webhook_deliveries(seeded_pool, hook)
    async with seeded_pool.connection() as conn:
        delivery = await notification_store.get_delivery(conn, delivery_id=delivery_id)
    assert delivery is not None and delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "no answer within 0.5 s"


async def test_an_event_whose_notices_cannot_be_made_does_not_hold_up_the_others(
    seeded_pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE sites SET timezone = 'Mars/Olympus' WHERE id = 'alpenpack-bern'")
        await open_ticket(conn, customer_id="alpenpack")
        await open_ticket(conn, customer_id="nordbrau")
    derived = await derive_notices(seeded_pool, staff_emails=(), now=NOW)
    assert (derived.events, derived.notices) == (2, 1)
    async with seeded_pool.connection() as conn:
        log = await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)
    assert [d.notice.customer_id for d in log] == ["nordbrau"]
    assert "could not be made" in caplog.text


async def test_a_dispatch_notice_names_the_engineer_the_dispatch_names(staff_pool: Pool) -> None:
    async with staff_pool.connection() as conn:
        ticket = await open_ticket(conn)
        async with conn.transaction():
            at = T0 + timedelta(minutes=30)
            await ticket_store.append_event(
                conn,
                ticket_id=ticket,
                at=at,
                kind="transition",
                note="",
                field="status",
                old_value="classified",
                new_value="dispatched",
            )
            await ticket_store.append_event(
                conn,
                ticket_id=ticket,
                at=at,
                kind="dispatch",
                note="dispatched to J. Mueller",
                field="engineer",
                new_value="eng-mueller",
            )
    await derive_notices(staff_pool, staff_emails=(), now=NOW)
    async with staff_pool.connection() as conn:
        log = await notification_store.list_deliveries(
            conn, scope=CustomerScope(customer_id="nordbrau")
        )
    (dispatched,) = [d for d in log if d.notice.kind is NoticeKind.DISPATCHED]
    assert "our service engineer J. Mueller has been dispatched" in dispatched.notice.body
    # Due on site 24 h after 12:00 UTC: 13:00 in Hamburg.
    assert "due on site by 2026-03-03 13:00 CET" in dispatched.notice.body
