"""Facts and subscriptions for the pure notification tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from models.notifications import NoticeKind, TicketNoticeFacts, WebhookSubscription

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def facts(**changes: object) -> TicketNoticeFacts:
    """An automatic-warning ticket on Nordbrau's filler, as the store reads it."""
    base = TicketNoticeFacts(
        event_id=41,
        event_kind="registered",
        field="status",
        old_value=None,
        new_value="registered",
        at=AT,
        note="opened by alert #17, rule anomaly",
        ticket_id=7,
        ticket_number="LC-2026-000007",
        ticket_status="registered",
        ticket_type="general_fault",
        channel="automatic_warning",
        severity="serious",
        summary="Condition anomaly on Filler (FIL-12, FIL12-88121): vibration_rms rising",
        customer_id="nordbrau",
        customer_name="Nordbrau Brewing",
        site_timezone="Europe/Berlin",
        line_name="Filling line 1",
        machine_name="Filler",
        contact_name="Anna Weber",
        contact_email="anna.weber@nordbrau.example",
        response_due=AT + timedelta(hours=1),
        arrival_due=AT + timedelta(hours=24),
        resolution_due=AT + timedelta(hours=48),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def webhook(
    id: int,
    *,
    customer_id: str | None = None,
    kinds: tuple[NoticeKind, ...] = (),
) -> WebhookSubscription:
    return WebhookSubscription(
        id=id,
        url=f"https://hooks.example/{id}",
        customer_id=customer_id,
        kinds=kinds,
        description="",
        active=True,
        created_by="admin",
        created_at=AT,
    )
