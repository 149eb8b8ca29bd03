"""Webhook subscriptions and the notification delivery log."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.base import PublicModel
from models.notifications import (
    Audience,
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    NoticeKind,
    WebhookSubscription,
)


def checked_url(url: str) -> str:
    """An absolute http(s) URL with a host and no login in it (secrets go in the signature)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must be absolute, http:// or https://, with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry a user or password")
    if parts.fragment:
        raise ValueError("the URL must not have a #fragment")
    return url.strip()


class WebhookCreate(BaseModel):
    """A new webhook: where to POST, and for what.

    ``customer_id`` binds it to one customer's tickets and plain-language notices
    (a customer user's webhooks are always bound to their own customer); none:
    a staff webhook hearing of every ticket. ``kinds`` empty: every kind.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://mes.nordbrau.example/linecare/notices",
                    "customer_id": "nordbrau",
                    "kinds": ["ticket_opened", "dispatched"],
                    "description": "MES service board",
                }
            ]
        },
    )

    url: str = Field(min_length=8, max_length=2000)
    customer_id: str | None = Field(default=None, min_length=1, max_length=200)
    kinds: list[NoticeKind] = Field(default_factory=list, max_length=len(NoticeKind))
    description: str = Field(default="", max_length=300)

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return checked_url(url)


class WebhookUpdate(BaseModel):
    """Change a webhook: only the fields given change. ``active`` false pauses it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    kinds: list[NoticeKind] | None = Field(default=None, max_length=len(NoticeKind))
    description: str | None = Field(default=None, max_length=300)
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return checked_url(url) if url is not None else None


class WebhookPublic(PublicModel):
    id: int
    url: str
    customer_id: str | None
    audience: Audience
    kinds: list[NoticeKind]
    description: str
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, hook: WebhookSubscription) -> WebhookPublic:
        return cls(
            id=hook.id,
            url=hook.url,
            customer_id=hook.customer_id,
            audience=hook.audience,
            kinds=list(hook.kinds),
            description=hook.description,
            active=hook.active,
            created_by=hook.created_by,
            created_at=hook.created_at,
        )


class WebhookSecretPublic(WebhookPublic):
    """The webhook with its signing secret: shown when made or replaced, never again.

    Each call carries ``X-LineCare-Timestamp`` and ``X-LineCare-Signature: v1=<hex>``,
    the HMAC-SHA256 of ``"<timestamp>.<raw body>"`` keyed with this secret.
    """

    secret: str


class ErrorPublic(PublicModel):
    detail: str


class AttemptPublic(PublicModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptPublic:
        return cls(
            attempt=attempt.attempt,
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


class DeliveryPublic(PublicModel):
    """One notice to one receiver and how its delivery went: tries, last answer, next try."""

    id: int
    ticket_id: int
    ticket_number: str
    kind: NoticeKind
    audience: Audience
    channel: DeliveryChannel
    webhook_id: int | None
    email_to: str | None
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def fields_of(cls, delivery: Delivery) -> dict[str, object]:
        notice = delivery.notice
        return {
            "id": delivery.id,
            "ticket_id": notice.ticket_id,
            "ticket_number": delivery.ticket_number,
            "kind": notice.kind,
            "audience": notice.audience,
            "channel": notice.channel,
            "webhook_id": notice.subscription_id,
            "email_to": notice.email_to,
            "subject": notice.subject,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at,
            "last_attempt_at": delivery.last_attempt_at,
            "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
            "delivered_at": delivery.delivered_at,
            "created_at": delivery.created_at,
        }

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        return cls.model_validate(cls.fields_of(delivery))


class DeliveryDetailPublic(DeliveryPublic):
    """A delivery with the message it carries and every try."""

    body: str
    payload: dict[str, object]
    tries: list[AttemptPublic]

    @classmethod
    def with_tries(cls, delivery: Delivery, tries: list[DeliveryAttempt]) -> DeliveryDetailPublic:
        return cls.model_validate(
            cls.fields_of(delivery)
            | {
                "body": delivery.notice.body,
                "payload": json.loads(delivery.notice.payload),
                "tries": [AttemptPublic.of(t) for t in tries],
            }
        )
