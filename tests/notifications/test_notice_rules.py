"""Which event yields which notices to whom, and what customers may read in them."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from models.notifications import Audience, DeliveryChannel, NoticeKind
from notifications.notice_rules import Recipients, is_plain_address, notice_kind, notices_for
from tests.notifications.factories import facts, webhook

STAFF = Recipients(staff_emails=("desk@linecare.example",), webhooks=())


@pytest.mark.parametrize(
    ("event_kind", "field", "new_value", "expected"),
    [
        ("registered", "status", "registered", NoticeKind.TICKET_OPENED),
        ("transition", "status", "dispatched", NoticeKind.DISPATCHED),
        ("sla_warning", "response_clock", "warning", NoticeKind.SLA_WARNING),
        ("sla_breach", "resolution_clock", "breach", NoticeKind.SLA_BREACH),
        ("transition", "status", "repaired", NoticeKind.RESOLVED),
        ("transition", "status", "resolved_remotely", NoticeKind.RESOLVED),
        ("transition", "status", "verified", NoticeKind.SIGN_OFF_REQUESTED),
        ("sign_off_requested", None, None, NoticeKind.SIGN_OFF_REQUESTED),
        ("transition", "status", "classified", None),
        ("transition", "status", "en_route", None),
        ("machine_stop", "fault_code", "17", None),
        ("confirmation", None, None, None),
    ],
)
def test_events_map_to_notice_kinds(
    event_kind: str, field: str | None, new_value: str | None, expected: NoticeKind | None
) -> None:
    event = facts(event_kind=event_kind, field=field, new_value=new_value)
    assert notice_kind(event) is expected


def test_an_opened_ticket_tells_its_contact_and_the_staff() -> None:
    notices = notices_for(facts(), STAFF)
    assert {(n.audience, n.channel, n.email_to) for n in notices} == {
        (Audience.CUSTOMER, DeliveryChannel.EMAIL, "anna.weber@nordbrau.example"),
        (Audience.STAFF, DeliveryChannel.EMAIL, "desk@linecare.example"),
    }
    assert {n.kind for n in notices} == {NoticeKind.TICKET_OPENED}


def test_an_sla_warning_is_for_the_staff_only() -> None:
    hooks = (webhook(1), webhook(2, customer_id="nordbrau"))
    event = facts(event_kind="sla_warning", field="response_clock", new_value="warning")
    notices = notices_for(event, Recipients(("desk@linecare.example",), hooks))
    assert {n.audience for n in notices} == {Audience.STAFF}
    assert {n.subscription_id for n in notices} == {None, 1}


def test_a_customer_webhook_hears_only_of_its_own_customers_tickets() -> None:
    hooks = (webhook(1), webhook(2, customer_id="nordbrau"), webhook(3, customer_id="alpenpack"))
    to_hooks = {
        n.subscription_id: n.audience
        for n in notices_for(facts(), Recipients((), hooks))
        if n.channel is DeliveryChannel.WEBHOOK
    }
    assert to_hooks == {1: Audience.STAFF, 2: Audience.CUSTOMER}


def test_a_webhook_with_kinds_hears_only_those() -> None:
    hooks = (webhook(1, kinds=(NoticeKind.SLA_BREACH,)),)
    opened = notices_for(facts(), Recipients((), hooks))
    assert [n.subscription_id for n in opened if n.channel is DeliveryChannel.WEBHOOK] == []
    breach = facts(event_kind="sla_breach", field="arrival_clock", new_value="breach")
    breached = notices_for(breach, Recipients((), hooks))
    assert [n.subscription_id for n in breached if n.channel is DeliveryChannel.WEBHOOK] == [1]


def test_customer_notices_carry_no_internal_figures() -> None:
    hooks = (webhook(2, customer_id="nordbrau"),)
    for event in (
        facts(),
        facts(event_kind="sla_breach", field="arrival_clock", new_value="breach"),
        facts(event_kind="transition", field="status", new_value="repaired"),
    ):
        for notice in notices_for(event, Recipients((), hooks)):
            assert notice.audience is Audience.CUSTOMER
            text = f"{notice.subject}\n{notice.body}\n{notice.payload}"
            for internal in ("alert #", "rule", "\u03c3", "sigma", "vibration_rms", "anomaly"):
                assert internal not in text, (internal, text)
            assert "LC-2026-000007" in text and "Filler" in text and "Filling line 1" in text


def test_staff_notices_keep_the_internal_facts() -> None:
    (notice,) = [n for n in notices_for(facts(), STAFF) if n.audience is Audience.STAFF]
    assert "alert #17" in notice.body
    payload = json.loads(notice.payload)
    assert payload["ticket"]["id"] == 7 and payload["event"]["id"] == 41


def test_the_customer_reads_the_deadline_in_the_sites_time() -> None:
    (notice,) = [n for n in notices_for(facts(), STAFF) if n.audience is Audience.CUSTOMER]
    # 13:00 UTC is 14:00 in Berlin in March (CET).
    assert "We respond by: 2026-03-02 14:00 CET" in notice.body


def test_a_sign_off_request_and_its_move_to_verified_share_one_key() -> None:
    move = facts(event_id=50, event_kind="transition", field="status", new_value="verified")
    request = facts(event_id=51, event_kind="sign_off_requested", field=None, sign_off_round=50)
    keys = {n.dedupe_key for n in notices_for(move, STAFF) + notices_for(request, STAFF)}
    assert keys == {"sign_off:7:50"}


def test_each_address_once_and_only_plain_addresses() -> None:
    recipients = Recipients(
        staff_emails=("Desk@LineCare.example", "desk@linecare.example", "x@y.z\nBcc: a@b.c"),
        webhooks=(),
    )
    staff = [n.email_to for n in notices_for(facts(), recipients) if n.audience is Audience.STAFF]
    assert staff == ["Desk@LineCare.example"]


def test_a_ticket_without_a_contact_address_emails_only_the_staff() -> None:
    notices = notices_for(facts(contact_email=""), STAFF)
    assert [n.audience for n in notices] == [Audience.STAFF]


@pytest.mark.parametrize(
    ("address", "plain"),
    [
        ("anna@nordbrau.example", True),
        ("anna@localhost", False),
        ("a b@x.example", False),
        ("a@x.example, b@y.example", False),
        ("<a@x.example>", False),
        ("", False),
    ],
)
def test_plain_addresses(address: str, plain: bool) -> None:
    assert is_plain_address(address) is plain


def test_a_persons_request_is_read_back_with_its_confirmation() -> None:
    confirmation = "Dear Jonas Brandt,\n\nwe have registered your service request LC-2026-000007."
    event = facts(channel="hotline", summary="Capper loses torque", confirmation=confirmation)
    (notice,) = [n for n in notices_for(event, STAFF) if n.audience is Audience.CUSTOMER]
    assert notice.body.startswith(confirmation)
    assert json.loads(notice.payload)["ticket"]["request"] == "Capper loses torque"


@pytest.mark.parametrize(
    ("event_kind", "field", "new_value"),
    [
        ("registered", "status", "registered"),
        ("transition", "status", "repaired"),
        ("sla_breach", "resolution_clock", "breach"),
    ],
)
def test_an_archived_tickets_events_are_history_and_call_for_no_notice(
    event_kind: str, field: str, new_value: str
) -> None:
    event = facts(event_kind=event_kind, field=field, new_value=new_value)
    assert notice_kind(event) is not None
    assert notices_for(replace(event, ticket_status="archived"), STAFF) == []
