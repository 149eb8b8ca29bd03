"""Which ticket event calls for which notices, to whom: pure rules over stored facts.

| event                                            | notice             | customer | staff |
| ------------------------------------------------ | ------------------ | -------- | ----- |
| ``registered``                                   | ticket opened      | yes      | yes   |
| ``transition`` to dispatched                     | dispatched         | yes      | yes   |
| ``sla_warning``                                  | SLA warning        | no       | yes   |
| ``sla_breach``                                   | SLA breach         | yes      | yes   |
| ``transition`` to repaired / resolved remotely   | resolved           | yes      | yes   |
| ``sign_off_requested``, or ``transition`` to verified | sign-off requested | yes | yes   |
| ``production_notice`` (planned work stops the line) | production notice | yes     | yes   |

The 80 % warning is the staff's cue to act, not news for the customer; a breach
is, since the customer's promise was missed. An event of a ticket that is
already archived when the job first reads it calls for no notice: it is history
(imported or seeded, or read after the job was down for the ticket's whole life),
and an archived ticket has nothing left to tell anyone. Customer notices go to the
ticket's contact e-mail and to webhooks bound to that customer; staff notices
go to the configured addresses and to staff webhooks (bound to no customer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.notifications import (
    Audience,
    DeliveryChannel,
    Notice,
    NoticeKind,
    TicketNoticeFacts,
    WebhookSubscription,
)
from models.tickets import TicketStatus
from notifications.message_texts import MessageText, customer_message, staff_message
from notifications.webhook_payload import webhook_payload

# The ticket event kinds that may call for a notice.
TRIGGER_EVENT_KINDS = (
    "registered",
    "transition",
    "sla_warning",
    "sla_breach",
    "sign_off_requested",
    "production_notice",
)

_BY_STATUS = {
    "dispatched": NoticeKind.DISPATCHED,
    "repaired": NoticeKind.RESOLVED,
    "resolved_remotely": NoticeKind.RESOLVED,
    "verified": NoticeKind.SIGN_OFF_REQUESTED,
}
_AUDIENCES = {
    NoticeKind.TICKET_OPENED: (Audience.CUSTOMER, Audience.STAFF),
    NoticeKind.DISPATCHED: (Audience.CUSTOMER, Audience.STAFF),
    NoticeKind.SLA_WARNING: (Audience.STAFF,),
    NoticeKind.SLA_BREACH: (Audience.CUSTOMER, Audience.STAFF),
    NoticeKind.RESOLVED: (Audience.CUSTOMER, Audience.STAFF),
    NoticeKind.SIGN_OFF_REQUESTED: (Audience.CUSTOMER, Audience.STAFF),
    NoticeKind.PRODUCTION_NOTICE: (Audience.CUSTOMER, Audience.STAFF),
}


@dataclass(frozen=True, slots=True)
class Recipients:
    """Who hears of tickets besides each ticket's own contact."""

    staff_emails: tuple[str, ...]
    webhooks: tuple[WebhookSubscription, ...]


def notice_kind(facts: TicketNoticeFacts) -> NoticeKind | None:
    """The notice an event calls for, if any; none for an archived ticket's history."""
    if facts.ticket_status == TicketStatus.ARCHIVED.value:
        return None
    if facts.event_kind == "registered":
        return NoticeKind.TICKET_OPENED
    if facts.event_kind == "sla_warning":
        return NoticeKind.SLA_WARNING
    if facts.event_kind == "sla_breach":
        return NoticeKind.SLA_BREACH
    if facts.event_kind == "sign_off_requested":
        return NoticeKind.SIGN_OFF_REQUESTED
    if facts.event_kind == "production_notice":
        return NoticeKind.PRODUCTION_NOTICE
    if facts.event_kind == "transition" and facts.field == "status":
        return _BY_STATUS.get(facts.new_value or "")
    return None


def audiences(kind: NoticeKind) -> tuple[Audience, ...]:
    return _AUDIENCES[kind]


def dedupe_key(kind: NoticeKind, facts: TicketNoticeFacts) -> str:
    """What the notice is about: its event, or for a sign-off request the verification
    round, which the move to verified and a sign-off request event share."""
    if kind is NoticeKind.SIGN_OFF_REQUESTED:
        round_id = facts.sign_off_round if facts.event_kind != "transition" else facts.event_id
        return f"sign_off:{facts.ticket_id}:{round_id or facts.event_id}"
    return f"event:{facts.event_id}:{kind.value}"


def notices_for(facts: TicketNoticeFacts, recipients: Recipients) -> list[Notice]:
    """Every notice the event calls for: e-mails and webhook calls, customer and staff."""
    kind = notice_kind(facts)
    if kind is None:
        return []
    notices: list[Notice] = []
    for audience in audiences(kind):
        text = (
            customer_message(kind, facts)
            if audience is Audience.CUSTOMER
            else staff_message(kind, facts)
        )
        payload = webhook_payload(kind, audience, facts, text)
        addresses = (
            [facts.contact_email] if audience is Audience.CUSTOMER else recipients.staff_emails
        )
        notices += [
            _notice(kind, audience, facts, text, payload, email_to=address)
            for address in _unique(a for a in addresses if is_plain_address(a))
        ]
        notices += [
            _notice(kind, audience, facts, text, payload, subscription_id=hook.id)
            for hook in recipients.webhooks
            if hook.audience is audience and hook.wants(kind, facts.customer_id)
        ]
    return notices


def is_plain_address(address: str) -> bool:
    """A single e-mail address, nothing that could smuggle more headers or recipients."""
    local, at, domain = address.strip().partition("@")
    return (
        bool(at and local and "." in domain)
        and not any(c.isspace() or c in ",;<>\"'" for c in address.strip())
        and "@" not in domain
    )


def _unique(addresses: Iterable[str]) -> list[str]:
    """Each address once, however it is capitalised."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


def _notice(
    kind: NoticeKind,
    audience: Audience,
    facts: TicketNoticeFacts,
    text: MessageText,
    payload: str,
    *,
    email_to: str | None = None,
    subscription_id: int | None = None,
) -> Notice:
    return Notice(
        event_id=facts.event_id,
        ticket_id=facts.ticket_id,
        customer_id=facts.customer_id,
        kind=kind,
        audience=audience,
        channel=DeliveryChannel.EMAIL if email_to is not None else DeliveryChannel.WEBHOOK,
        dedupe_key=dedupe_key(kind, facts),
        subject=text.subject,
        body=text.body,
        payload=payload,
        subscription_id=subscription_id,
        email_to=email_to,
    )
