"""Notifications: the notices a ticket's events call for, and their deliveries.

A ticket event (opened, dispatched, an SLA warning or breach, resolved, sign-off
requested) becomes notices for its customer and for the service staff, each sent
by webhook or e-mail and kept as a delivery with its attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class NoticeKind(StrEnum):
    """What happened to a ticket that someone is told about."""

    TICKET_OPENED = "ticket_opened"
    DISPATCHED = "dispatched"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    RESOLVED = "resolved"
    SIGN_OFF_REQUESTED = "sign_off_requested"
    # Planned maintenance will stop the line: production hears three days ahead.
    PRODUCTION_NOTICE = "production_notice"


class Audience(StrEnum):
    """Customers hear of their own tickets in plain language; staff hear of every ticket."""

    CUSTOMER = "customer"
    STAFF = "staff"


class DeliveryChannel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Every attempt failed: the log keeps why.
    FAILED = "failed"
    # Not sent on purpose, e.g. no SMTP server is configured.
    SKIPPED = "skipped"
    # Its webhook was deleted or paused before it went out.
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """A receiver of signed webhook calls.

    ``customer_id`` binds it to one customer's tickets and their plain-language
    notices; None makes it a staff webhook that hears of every ticket. ``kinds``
    empty: every kind its audience is sent.
    """

    id: int
    url: str
    customer_id: str | None
    kinds: tuple[NoticeKind, ...]
    description: str
    active: bool
    created_by: str
    created_at: datetime

    @property
    def audience(self) -> Audience:
        return Audience.STAFF if self.customer_id is None else Audience.CUSTOMER

    def wants(self, kind: NoticeKind, customer_id: str) -> bool:
        """Whether a notice of this kind about this customer's ticket goes to this webhook."""
        if self.customer_id is not None and self.customer_id != customer_id:
            return False
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True, slots=True)
class TicketNoticeFacts:
    """A ticket event with what a notice about it needs: names, deadlines, contact.

    ``sign_off_round`` identifies the verification round a sign-off request
    belongs to (the id of the move to verified), so the move and a separate
    sign-off request event yield one notice between them.
    """

    event_id: int
    event_kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    at: datetime
    note: str
    ticket_id: int
    ticket_number: str
    ticket_status: str
    ticket_type: str
    channel: str
    severity: str
    summary: str
    customer_id: str
    customer_name: str
    site_timezone: str
    line_name: str
    machine_name: str
    contact_name: str
    contact_email: str
    response_due: datetime
    arrival_due: datetime | None
    resolution_due: datetime
    sign_off_round: int | None = None
    # The field engineer a dispatch names, for a move to dispatched.
    engineer_name: str | None = None
    # The confirmation that read a person's request back, for a registration.
    confirmation: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one receiver, as it is queued for delivery.

    ``dedupe_key`` names what the notice is about; one receiver gets one notice
    per key, however often the events are read. ``payload`` is the webhook's
    JSON body, ``subject`` and ``body`` the e-mail's.
    """

    event_id: int
    ticket_id: int
    customer_id: str
    kind: NoticeKind
    audience: Audience
    channel: DeliveryChannel
    dedupe_key: str
    subject: str
    body: str
    payload: str
    subscription_id: int | None = None
    email_to: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A queued notice and how its delivery is going."""

    id: int
    notice: Notice
    ticket_number: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """Where a claimed delivery goes: the webhook's URL and current secret, or an address."""

    delivery: Delivery
    url: str | None = None
    secret: str | None = None
    # False when the webhook was deleted or paused since the notice was queued.
    subscription_live: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try at a delivery: the receiver's status code or the error, and how long it took."""

    delivery_id: int
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What a sender reports of one try."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    # True: not sent on purpose (no SMTP server configured); not a failure.
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay`` doubling per attempt up to ``max_delay``."""

    max_attempts: int
    first_delay: timedelta
    max_delay: timedelta


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where e-mail goes out; ``tls`` is "none", "starttls" or "tls" (implicit TLS)."""

    host: str
    port: int
    sender: str
    tls: str = "none"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class NotificationPolicy:
    """How the notification job runs: where mail goes, who the staff are, how it retries.

    ``smtp`` None: e-mails are logged as skipped. ``settled_after`` is longer
    than any transaction that writes ticket events lasts (see
    ``storage.notification_store.advance_cursor``).
    """

    smtp: SmtpServer | None
    staff_emails: tuple[str, ...]
    retry: RetryPolicy
    webhook_timeout_s: float = 10.0
    interval_s: float = 2.0
    batch_size: int = 100
    concurrent_sends: int = 8
    settled_after: timedelta = timedelta(minutes=5)
    # How long the delivery log keeps a finished delivery.
    log_retention: timedelta = timedelta(days=90)

    @property
    def send_timeout_s(self) -> float:
        """The most one try may take, whatever the receiver does."""
        return max(self.webhook_timeout_s, self.smtp.timeout_s if self.smtp else 0.0)

    @property
    def lease(self) -> timedelta:
        """How long a worker holds the deliveries it took before another may take them
        again: a whole batch of tries at their slowest, and a minute to record them."""
        rounds = -(-self.batch_size // self.concurrent_sends)
        return timedelta(seconds=rounds * self.send_timeout_s + 60)
