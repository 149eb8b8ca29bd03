"""The JSON body of a webhook call: what happened to which ticket, with the message text.

Customer webhooks get the plain-language facts of their own ticket; staff
webhooks also get the internal ids, grade and the event's note. The receiver
tells retries apart by the ``X-LineCare-Delivery`` header (see ``webhook_signing``).
"""

from __future__ import annotations

import json
from datetime import datetime

from models.notifications import Audience, NoticeKind, TicketNoticeFacts
from notifications.message_texts import MessageText, clock_of, customer_request

PAYLOAD_VERSION = 1


def webhook_payload(
    kind: NoticeKind, audience: Audience, facts: TicketNoticeFacts, message: MessageText
) -> str:
    """The body, as compact JSON with keys in a fixed order."""
    ticket: dict[str, object] = {
        "number": facts.ticket_number,
        "customer": facts.customer_name,
        "line": facts.line_name,
        "machine": facts.machine_name,
        "request": customer_request(facts),
        "deadlines": {
            "response": _iso(facts.response_due),
            "arrival": _iso(facts.arrival_due),
            "resolution": _iso(facts.resolution_due),
        },
    }
    body: dict[str, object] = {
        "version": PAYLOAD_VERSION,
        "type": kind.value,
        "audience": audience.value,
        "occurred_at": _iso(facts.at),
        "ticket": ticket,
        "message": {"subject": message.subject, "text": message.body},
    }
    if kind in (NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACH):
        body["clock"] = clock_of(facts)
    if audience is Audience.STAFF:
        ticket |= {
            "id": facts.ticket_id,
            "customer_id": facts.customer_id,
            "severity": facts.severity,
            "ticket_type": facts.ticket_type,
            "channel": facts.channel,
            "summary": facts.summary,
        }
        body["event"] = {"id": facts.event_id, "kind": facts.event_kind, "note": facts.note}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
