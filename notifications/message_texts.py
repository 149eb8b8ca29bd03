"""What a notice says, in plain language: the ticket number, machine and line, what
happened, and the deadline that matters, in the site's time.

Customer texts name only what the customer knows: their machine and line, the
request as they gave it, our promises. The figures of an automatic warning
(scores, spreads, rule names, alert numbers) stay in the staff texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from models.notifications import NoticeKind, TicketNoticeFacts

_SIGNATURE = "Your LineCare service team"
_CLOCK_PROMISES = {
    "response": "first response",
    "arrival": "on-site arrival",
    "resolution": "resolution",
}


@dataclass(frozen=True, slots=True)
class MessageText:
    subject: str
    body: str


def local_time(at: datetime, timezone: str) -> str:
    """A moment as the site reads it, e.g. "2026-03-02 13:00 CET"."""
    return f"{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M %Z}"


def clock_of(facts: TicketNoticeFacts) -> str:
    """Which SLA clock an SLA event is about ("response", "arrival", "resolution")."""
    return (facts.field or "").removesuffix("_clock") or "resolution"


def clock_due(facts: TicketNoticeFacts) -> datetime | None:
    """The deadline of the clock an SLA event is about, as fixed when the ticket opened."""
    return {
        "response": facts.response_due,
        "arrival": facts.arrival_due,
        "resolution": facts.resolution_due,
    }.get(clock_of(facts))


def customer_message(kind: NoticeKind, facts: TicketNoticeFacts) -> MessageText:
    """The notice a customer's contact and the customer's webhooks receive."""
    where = f"{facts.machine_name} on line {facts.line_name}"
    number = facts.ticket_number
    lines: list[str]
    if kind is NoticeKind.TICKET_OPENED:
        subject = f"{number}: service request registered ({facts.machine_name})"
        lines = [
            f"we have registered a service request for {where} as ticket {number}.",
            "",
            f"What: {customer_request(facts)}",
            f"We respond by: {_at(facts.response_due, facts)}",
            f"We aim to resolve it by: {_at(facts.resolution_due, facts)}",
        ]
    elif kind is NoticeKind.DISPATCHED:
        subject = f"{number}: service engineer dispatched ({facts.machine_name})"
        who = f"our service engineer {facts.engineer_name}" if facts.engineer_name else None
        lines = [f"{who or 'a service engineer'} has been dispatched for ticket {number}, {where}."]
        if facts.arrival_due is not None:
            lines.append(f"The engineer is due on site by {_at(facts.arrival_due, facts)}.")
    elif kind is NoticeKind.SLA_WARNING:
        due = clock_due(facts)
        subject = f"{number}: {_CLOCK_PROMISES.get(clock_of(facts), 'deadline')} due soon"
        lines = [f"the {_promise(facts)} for ticket {number}, {where}, is due soon."]
        if due is not None:
            lines.append(f"Due: {_at(due, facts)}.")
    elif kind is NoticeKind.SLA_BREACH:
        due = clock_due(facts)
        subject = f"{number}: we missed the promised {_promise(facts)} time"
        lines = [
            f"we have not met the promised {_promise(facts)} time for ticket {number},"
            f" {where}" + (f"; it was due {_at(due, facts)}." if due is not None else "."),
            "The ticket has been escalated to our technical support centre,"
            " and we will contact you.",
        ]
    elif kind is NoticeKind.RESOLVED:
        remotely = facts.new_value == "resolved_remotely"
        how = "resolved remotely, without a visit" if remotely else "repaired"
        subject = f"{number}: {facts.machine_name} {'resolved' if remotely else 'repaired'}"
        lines = [
            f"the fault on {where} (ticket {number}) was {how} on {_at(facts.at, facts)}.",
            "We will check with you that the problem is gone.",
        ]
    elif kind is NoticeKind.PRODUCTION_NOTICE:
        subject = f"{number}: planned maintenance stops line {facts.line_name}"
        lines = [
            f"planned maintenance on {where} (ticket {number}) will stop the line.",
            facts.note.strip(),
            "Please plan production around this window, or tell us in the LineCare portal"
            " if it does not suit you.",
        ]
    else:
        subject = f"{number}: please sign off the service report"
        lines = [
            f"the work on ticket {number}, {where}, is done and verified.",
            "Please review the service report and sign it off in the LineCare portal,"
            " or tell us there why you are not satisfied.",
        ]
    if kind is NoticeKind.TICKET_OPENED and facts.confirmation:
        # The read-back the desk's registration wrote: it already greets the contact.
        return MessageText(subject, "\n".join([facts.confirmation, "", _SIGNATURE, ""]))
    greeting = f"Dear {facts.contact_name or facts.customer_name},"
    body = "\n".join([greeting, "", *lines, "", _SIGNATURE, ""])
    return MessageText(subject, body)


def staff_message(kind: NoticeKind, facts: TicketNoticeFacts) -> MessageText:
    """The notice the service staff receive: the same facts with grade, customer and note."""
    number = facts.ticket_number
    where = f"{facts.machine_name}, line {facts.line_name} ({facts.customer_name})"
    headline = {
        NoticeKind.TICKET_OPENED: "opened",
        NoticeKind.DISPATCHED: "dispatched",
        NoticeKind.SLA_WARNING: f"{_promise(facts)} deadline near",
        NoticeKind.SLA_BREACH: f"{_promise(facts)} deadline breached",
        NoticeKind.RESOLVED: (
            "resolved remotely" if facts.new_value == "resolved_remotely" else "repaired"
        ),
        NoticeKind.SIGN_OFF_REQUESTED: "verified, customer sign-off requested",
        NoticeKind.PRODUCTION_NOTICE: "production notified of a planned line stop",
    }[kind]
    lines = [
        f"Ticket {number}: {headline}.",
        f"Where: {where}",
        f"Grade: {facts.severity}; type: {facts.ticket_type}; channel: {facts.channel}",
        f"Summary: {facts.summary}",
        f"When: {_at(facts.at, facts)}",
    ]
    if kind in (NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACH):
        due = clock_due(facts)
        if due is not None:
            lines.append(f"Due: {_at(due, facts)}")
    elif kind is NoticeKind.DISPATCHED:
        if facts.engineer_name:
            lines.append(f"Engineer: {facts.engineer_name}")
        if facts.arrival_due is not None:
            lines.append(f"On site by: {_at(facts.arrival_due, facts)}")
    elif kind is NoticeKind.TICKET_OPENED:
        lines.append(f"Respond by: {_at(facts.response_due, facts)}")
        lines.append(f"Resolve by: {_at(facts.resolution_due, facts)}")
    if facts.note.strip():
        lines.append(f"Note: {facts.note.strip()}")
    return MessageText(f"[LineCare] {number} {headline}: {facts.machine_name}", "\n".join(lines))


def customer_request(facts: TicketNoticeFacts) -> str:
    """The request in the customer's terms: their own words, or what our monitoring saw."""
    if facts.channel != "automatic_warning":
        return facts.summary
    if facts.ticket_type == "preventive_maintenance":
        return (
            f"our remote monitoring expects {facts.machine_name} to reach a wear limit soon;"
            " we will plan maintenance before it fails."
        )
    return (
        f"our remote monitoring noticed that {facts.machine_name} is running unusually;"
        " we will look into it before it leads to a breakdown."
    )


def _promise(facts: TicketNoticeFacts) -> str:
    return _CLOCK_PROMISES.get(clock_of(facts), "deadline")


def _at(at: datetime, facts: TicketNoticeFacts) -> str:
    return local_time(at, facts.site_timezone)
