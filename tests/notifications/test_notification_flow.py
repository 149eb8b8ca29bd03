"""A ticket worked through the API, its notices, the scoped delivery log, and a receiver that
hangs while the ticket moves on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from models.notifications import SmtpServer
from notifications.notification_job import deliver_due, derive_notices, notification_cycle
from storage import notification_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.factories import T0
from tests.notifications.conftest import ADMIN, ENGINEER, SmtpInbox, policy
from tests.notifications.webhook_receiver import WebhookReceiver, running_receiver

pytestmark = pytest.mark.integration

PHONE_CALL = {
    "line_id": "line-2",
    "machine_id": "l2-capper",
    "channel": "hotline",
    "ticket_type": "general_fault",
    "severity": "general",
    "summary": "Capper loses torque on every tenth bottle",
    "symptoms": "Caps loose since the night shift.",
    "contact_name": "Jonas Brandt",
    "contact_email": "j.brandt@nordbrau.example",
}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    fixed = Clock(T0)
    app.state.ticket_clock = fixed
    yield fixed


async def _register(client: httpx.AsyncClient) -> int:
    made = await client.post("/api/tickets", json=PHONE_CALL, headers=DESK)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def _move(
    client: httpx.AsyncClient, ticket: int, to: str, headers: dict[str, str], note: str = ""
) -> httpx.Response:
    return await client.post(
        f"/api/tickets/{ticket}/transitions", json={"to": to, "note": note}, headers=headers
    )


async def _hook(client: httpx.AsyncClient, url: str, customer_id: str | None) -> dict[str, str]:
    made = await client.post(
        "/api/webhooks", json={"url": url, "customer_id": customer_id}, headers=ADMIN
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_worked_ticket_notifies_its_customer_once_per_step(
    client: httpx.AsyncClient,
    staff_pool: Pool,
    clock: Clock,
    http: httpx.AsyncClient,
    smtp_inbox: SmtpInbox,
) -> None:
    rules = policy(SmtpServer(smtp_inbox.host, smtp_inbox.port, "service@linecare.test"))
    async with (
        running_receiver(WebhookReceiver()) as nordbrau,
        running_receiver(WebhookReceiver()) as alpenpack,
    ):
        nordbrau.secret = (await _hook(client, nordbrau.url, "nordbrau"))["secret"]
        alpenpack.secret = (await _hook(client, alpenpack.url, "alpenpack"))["secret"]
        ticket = await _register(client)
        for to, who, note in [
            ("classified", DESK, ""),
            ("dispatched", DESK, ""),
            ("classified", DESK, "the support engineer can fix it remotely"),
            ("remote_diagnosis", SUPPORT, ""),
            ("resolved_remotely", SUPPORT, ""),
            ("verified", DESK, ""),
        ]:
            clock.now += timedelta(minutes=10)
            moved = await _move(client, ticket, to, who, note)
            assert moved.status_code == 200, moved.text
        await notification_cycle(staff_pool, rules, http=http, now=clock.now)
        # Reading the same events again yields nothing new.
        await notification_cycle(staff_pool, rules, http=http, now=clock.now)

    steps = ["ticket_opened", "dispatched", "resolved", "sign_off_requested"]
    assert alpenpack.calls == []
    assert [c.headers["x-linecare-event"] for c in nordbrau.calls] == steps
    assert all(c.signature_ok for c in nordbrau.calls)

    customer = await asyncio.to_thread(smtp_inbox.to, "j.brandt@nordbrau.example")
    staff = await asyncio.to_thread(smtp_inbox.to, "desk@linecare.example")
    assert len(customer) == len(staff) == len(steps)
    assert len(smtp_inbox.received) == 2 * len(steps)
    opened = next(m for m in customer if "registered" in str(m["Subject"]))
    read_back = opened.get_payload()
    assert isinstance(read_back, str)
    assert read_back.startswith("Dear Jonas Brandt,")
    assert "Your request: Capper loses torque on every tenth bottle" in read_back
    subjects = sorted(str(m["Subject"]) for m in customer)
    assert any("please sign off the service report" in s for s in subjects)
    assert any("resolved" in s for s in subjects)
    log = (
        await client.get("/api/notifications/deliveries", params={"limit": 500}, headers=DESK)
    ).json()
    assert len(log) == 3 * len(steps)
    assert {d["status"] for d in log} == {"delivered"}


async def test_the_delivery_log_shows_customers_only_their_own_notices(
    client: httpx.AsyncClient, staff_pool: Pool, clock: Clock, http: httpx.AsyncClient
) -> None:
    async with running_receiver(WebhookReceiver(answers=[500])) as receiver:
        await _hook(client, receiver.url, None)
        await _hook(client, receiver.url, "nordbrau")
        await _register(client)
        await notification_cycle(staff_pool, policy(), http=http, now=clock.now)

    everything = (await client.get("/api/notifications/deliveries", headers=DESK)).json()
    assert {(d["audience"], d["channel"]) for d in everything} == {
        ("customer", "email"),
        ("customer", "webhook"),
        ("staff", "email"),
        ("staff", "webhook"),
    }
    own = (await client.get("/api/notifications/deliveries", headers=NORDBRAU)).json()
    assert {(d["audience"], d["channel"]) for d in own} == {
        ("customer", "email"),
        ("customer", "webhook"),
    }
    assert (await client.get("/api/notifications/deliveries", headers=ALPENPACK)).json() == []
    for delivery in everything:
        other = await client.get(
            f"/api/notifications/deliveries/{delivery['id']}", headers=ALPENPACK
        )
        assert other.status_code == 404
        assert other.json()["detail"] == f"delivery {delivery['id']} not found"
    staff_only = next(d for d in everything if d["audience"] == "staff")
    hidden = await client.get(f"/api/notifications/deliveries/{staff_only['id']}", headers=NORDBRAU)
    assert hidden.status_code == 404

    # The one that failed shows its try, the receiver's answer and the next try.
    failed = [d for d in everything if d["last_status_code"] == 500]
    assert len(failed) == 1 and failed[0]["status"] == "pending"
    assert failed[0]["next_attempt_at"] is not None
    detail = (
        await client.get(f"/api/notifications/deliveries/{failed[0]['id']}", headers=DESK)
    ).json()
    assert [(t["attempt"], t["status_code"]) for t in detail["tries"]] == [(1, 500)]
    assert detail["payload"]["ticket"]["machine"] == "Capper"

    pending = await client.get(
        "/api/notifications/deliveries", params={"status": "pending"}, headers=DESK
    )
    assert [d["id"] for d in pending.json()] == [failed[0]["id"]]
    assert (await client.get("/api/notifications/deliveries", headers=ENGINEER)).status_code == 403
    bad = await client.get("/api/notifications/deliveries", params={"status": "x"}, headers=DESK)
    assert bad.status_code == 422


async def test_a_hanging_receiver_does_not_hold_up_the_ticket(
    client: httpx.AsyncClient, staff_pool: Pool, clock: Clock, http: httpx.AsyncClient
) -> None:
    hold = asyncio.Event()
    async with running_receiver(WebhookReceiver(hold=hold)) as receiver:
        await _hook(client, receiver.url, "nordbrau")
        ticket = await _register(client)
        await derive_notices(staff_pool, staff_emails=(), now=clock.now)
        sending = asyncio.create_task(deliver_due(staff_pool, policy(), http=http, now=clock.now))
        while not receiver.calls:  # noqa: ASYNC110 - the receiver records calls, no event
            await asyncio.sleep(0.01)

        for to in ("classified", "dispatched"):
            clock.now += timedelta(minutes=5)
            moved = await asyncio.wait_for(_move(client, ticket, to, DESK), timeout=5)
            assert moved.status_code == 200
        # The dispatch's notices (contact e-mail, webhook) are queued while the first call hangs.
        assert (await derive_notices(staff_pool, staff_emails=(), now=clock.now)).notices == 2
        assert not sending.done()
        hold.set()
        round_ = await sending
    assert (round_.delivered, round_.skipped) == (1, 1)
    async with staff_pool.connection() as conn:
        cursor = await conn.execute("SELECT status FROM tickets WHERE id = %s", (ticket,))
        assert await cursor.fetchone() == ("dispatched",)
        assert len(await notification_store.list_deliveries(conn, scope=EVERY_CUSTOMER)) == 4


async def test_a_failed_delivery_is_tried_again_on_request(
    client: httpx.AsyncClient, staff_pool: Pool, clock: Clock, http: httpx.AsyncClient
) -> None:
    async with running_receiver(WebhookReceiver(answers=[500])) as receiver:
        receiver.secret = (await _hook(client, receiver.url, "nordbrau"))["secret"]
        await _register(client)
        given_up = policy(max_attempts=1)
        await notification_cycle(staff_pool, given_up, http=http, now=clock.now)
        (failed,) = (
            await client.get(
                "/api/notifications/deliveries", params={"status": "failed"}, headers=NORDBRAU
            )
        ).json()
        path = f"/api/notifications/deliveries/{failed['id']}/retry"
        assert (await client.post(path, headers=ALPENPACK)).status_code == 404
        retried = await client.post(path, headers=NORDBRAU)
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "pending"
        refused = await client.post(path, headers=NORDBRAU)
        assert refused.status_code == 409
        assert refused.json()["detail"] == "only a failed delivery can be tried again"

        await deliver_due(staff_pool, given_up, http=http, now=datetime.now(UTC))
    detail = (
        await client.get(f"/api/notifications/deliveries/{failed['id']}", headers=NORDBRAU)
    ).json()
    assert detail["status"] == "delivered"
    assert [(t["attempt"], t["status_code"]) for t in detail["tries"]] == [(1, 500), (2, 200)]
    assert [c.signature_ok for c in receiver.calls] == [True, True]
