"""A local SMTP server (aiosmtpd), an administrator, and ticket helpers; the app fixtures come
from the plugin tests/fixtures/fix_app.py."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from models.notifications import NotificationPolicy, RetryPolicy, SmtpServer
from models.users import Role
from services.free_ports import free_port
from storage.connections import Pool
from storage.user_store import create_user

ADMIN = {"Authorization": "Bearer test-admin"}
ENGINEER = {"Authorization": "Bearer test-engineer"}


@dataclass
class SmtpInbox:
    """What the local SMTP server received: (envelope recipients, parsed message)."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[tuple[list[str], Message]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [message for rcpts, message in self.received if address in rcpts]


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    inbox = SmtpInbox(port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def policy(
    smtp: SmtpServer | None = None,
    *,
    staff: tuple[str, ...] = ("desk@linecare.example",),
    max_attempts: int = 5,
) -> NotificationPolicy:
    """Retries after 30 s, 60 s, ... as tests drive the clock; no pause between cycles."""
    return NotificationPolicy(
        smtp=smtp,
        staff_emails=staff,
        retry=RetryPolicy(
            max_attempts=max_attempts,
            first_delay=timedelta(seconds=30),
            max_delay=timedelta(minutes=10),
        ),
        webhook_timeout_s=5.0,
        interval_s=0.05,
    )


@pytest.fixture
async def staff_pool(seeded_pool: Pool) -> Pool:
    """The seeded database with an administrator and a field engineer besides the demo users."""
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="test-admin",
            display_name="Administrator",
            role=Role.ADMIN,
            customer_id=None,
            token="test-admin",
        )
        await create_user(
            conn,
            login="eng-mueller",
            display_name="J. Mueller",
            role=Role.FIELD_ENGINEER,
            customer_id=None,
            token="test-engineer",
        )
    return seeded_pool


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
        yield client
