"""The production notice of line-stopping maintenance becomes a notice for the customer's
contact and webhooks, and for the staff, in plain words with the window."""

from __future__ import annotations

from models.notifications import Audience, NoticeKind, TicketNoticeFacts
from notifications.notice_rules import Recipients, notice_kind, notices_for
from tests.notifications.factories import facts, webhook

NOTE = (
    "Filling line 2 stops for planned maintenance from 04 Mar 2026 07:00"
    " to 04 Mar 2026 10:00 (Europe/Berlin)."
)


def _production_notice() -> TicketNoticeFacts:
    return facts(
        event_kind="production_notice",
        field="window_start",
        new_value="2026-03-04T06:00:00+00:00",
        note=NOTE,
        ticket_type="preventive_maintenance",
        channel="maintenance_plan",
        severity="minor",
        summary="Planned maintenance: Filling valve and CIP inspection",
        line_name="Filling line 2",
    )


def test_a_production_notice_event_calls_for_a_production_notice() -> None:
    assert notice_kind(_production_notice()) is NoticeKind.PRODUCTION_NOTICE


def test_the_customer_and_the_staff_hear_of_the_line_stop_with_its_window() -> None:
    hooks = (webhook(1, customer_id="nordbrau"), webhook(2, customer_id="alpenpack"))
    notices = notices_for(
        _production_notice(),
        Recipients(("desk@linecare.example",), hooks),
    )
    assert {n.kind for n in notices} == {NoticeKind.PRODUCTION_NOTICE}
    customer = [n for n in notices if n.audience is Audience.CUSTOMER]
    assert {n.email_to for n in customer} == {"anna.weber@nordbrau.example", None}
    assert {n.subscription_id for n in customer} == {None, 1}  # not the other customer's hook
    [mail] = [n for n in customer if n.email_to is not None]
    assert "planned maintenance stops line Filling line 2" in mail.subject
    assert NOTE in mail.body
    assert any(n.audience is Audience.STAFF for n in notices)


def test_other_maintenance_events_call_for_no_notice() -> None:
    for kind in ("maintenance_done", "maintenance_skipped"):
        assert notice_kind(facts(event_kind=kind, field=None, new_value=None)) is None
