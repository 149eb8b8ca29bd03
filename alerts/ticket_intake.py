"""Intake: a request entered by a person becomes a full registration record. Pure.

Whatever the channel (hotline, e-mail, web portal, messaging), the record holds
what DOMAIN.md requires: customer, contact, contract, line and machine with model
and serial, the request, channel, time received, the deadlines of the contract,
expected resolution and special requirements. The warranty is derived from the
line unless a person overrides it with a reason. The confirmation notice reads
the request back to the customer, in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.sla_calendar import site_calendar
from alerts.sla_deadlines import sla_deadlines
from alerts.ticket_workflow import warranty_end
from models.intervals import Interval
from models.plant import Line, MachinePlacement, Plant
from models.tickets import Channel, Ticket, TicketDraft, TicketRequest, WarrantyStatus


class IntakeError(ValueError):
    """A request that cannot be registered as entered; the message says what to fix."""


def warranty_status(
    line: Line, on: date, *, downtime: Sequence[Interval], timezone: str
) -> WarrantyStatus:
    """The line's warranty on ``on``: acceptance plus the warranty months, extended by
    the line's downtime during the warranty, rounded up to whole days.

    An extension can bring more downtime into the warranty; it is extended again
    until nothing changes.
    """
    zone = ZoneInfo(timezone)
    base_end = warranty_end(line)
    start = datetime.combine(line.acceptance_date, time(), zone)
    end, days = base_end, 0
    for _ in range(len(downtime) + 1):
        limit = datetime.combine(end, time(), zone)
        lost = sum((_overlap(i, start, limit) for i in _merged(downtime)), timedelta())
        days = math.ceil(lost / timedelta(days=1))
        extended = base_end + timedelta(days=days)
        if extended == end:
            break
        end = extended
    return WarrantyStatus(
        under_warranty=line.acceptance_date <= on < end, ends_on=end, extended_by_days=days
    )


def placement_for(plant: Plant, request: TicketRequest) -> MachinePlacement:
    """The machine the request names, which must stand in the line it names."""
    try:
        placement = plant.placement_of(request.machine_id)
    except KeyError:
        raise IntakeError(f"machine {request.machine_id!r} is not in the plant file") from None
    if placement.line.id != request.line_id:
        raise IntakeError(
            f"machine {request.machine_id!r} stands in line {placement.line.id!r},"
            f" not {request.line_id!r}"
        )
    return placement


def draft_from_request(
    request: TicketRequest,
    placement: MachinePlacement,
    *,
    received_at: datetime,
    warranty: WarrantyStatus,
    created_by: str,
) -> TicketDraft:
    """The registration record of a request a person entered, received at ``received_at``."""
    if request.channel is Channel.AUTOMATIC_WARNING:
        raise IntakeError("automatic_warning is the channel of early warnings, not of people")
    overridden = request.under_warranty is not None and (
        request.under_warranty != warranty.under_warranty
    )
    if overridden and not request.warranty_override_reason.strip():
        raise IntakeError("overriding the warranty derived from the line needs a reason")
    customer, site = placement.customer, placement.site
    contract = customer.contract
    local_received = received_at.astimezone(ZoneInfo(site.timezone))
    return TicketDraft(
        customer_id=customer.id,
        contract_number=contract.number,
        contact_name=request.contact_name.strip() or customer.contact.name,
        contact_phone=request.contact_phone.strip() or customer.contact.phone,
        contact_email=request.contact_email.strip() or customer.contact.email,
        line_id=placement.line.id,
        machine_id=placement.machine.id,
        machine_model=placement.machine.model,
        machine_serial=placement.machine.serial,
        ticket_type=request.ticket_type,
        channel=request.channel,
        severity=request.severity,
        under_warranty=(
            request.under_warranty
            if overridden and request.under_warranty is not None
            else warranty.under_warranty
        ),
        warranty_override_reason=request.warranty_override_reason.strip() if overridden else None,
        summary=request.summary.strip(),
        symptoms=request.symptoms.strip(),
        signals=(),
        received_at=local_received,
        deadlines=sla_deadlines(
            contract,
            request.severity,
            received_at=local_received,
            holidays=site.calendar.holidays,
            calendar=site_calendar(site, counts_working_time=contract.counts_working_time),
        ),
        special_requirements=request.special_requirements.strip(),
        expected_resolution=request.expected_resolution,
        counts_working_time=contract.counts_working_time,
        pauses_for_customer=contract.pauses_while_waiting_for_customer,
        created_by=created_by,
    )


def confirmation_notice(ticket: Ticket, placement: MachinePlacement) -> str:
    """The request read back to the customer: what we registered and what we promise."""
    draft = ticket.draft
    zone = ZoneInfo(placement.site.timezone)

    def when(at: datetime) -> str:
        return f"{at.astimezone(zone):%d %b %Y %H:%M} ({placement.site.timezone})"

    machine, line = placement.machine, placement.line
    promises = [f"a first response by {when(draft.deadlines.response_due)}"]
    if draft.deadlines.arrival_due is not None:
        promises.append(f"an engineer on site, if needed, by {when(draft.deadlines.arrival_due)}")
    promises.append(f"resolution or a workaround by {when(draft.deadlines.resolution_due)}")
    warranty = (
        "inside the warranty (parts and labour free of charge)"
        if draft.under_warranty
        else "outside the warranty (billable per your contract)"
    )
    lines = [
        f"Dear {draft.contact_name},",
        "",
        f"we have registered your service request {ticket.number},"
        f" received {when(draft.received_at)} by {draft.channel.value.replace('_', ' ')}.",
        f"Line: {line.name} ({line.model}, serial {line.serial}),"
        f" machine {machine.name} ({machine.model}, serial {machine.serial}),"
        f" {placement.site.name}.",
        f"Your request: {draft.summary}",
    ]
    if draft.symptoms:
        lines.append(f"What you observed: {draft.symptoms}")
    lines.append(
        f"We have recorded it as {draft.ticket_type.value.replace('_', ' ')},"
        f" grade {draft.severity.value}, {warranty}, under contract {draft.contract_number}."
    )
    if draft.special_requirements:
        lines.append(f"Special requirements: {draft.special_requirements}")
    if draft.expected_resolution is not None:
        lines.append(f"You asked for it to be resolved by {when(draft.expected_resolution)}.")
    lines += [
        f"We promise {', '.join(promises)}.",
        f"We will reach you at {_reach(draft)}.",
        "Please tell us at once if anything here is not right.",
    ]
    return "\n".join(lines)


def _reach(draft: TicketDraft) -> str:
    ways = [w for w in (draft.contact_phone, draft.contact_email) if w]
    return " or ".join(ways) if ways else "the contact on your contract"


def _merged(intervals: Sequence[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


def _overlap(interval: Interval, start: datetime, end: datetime) -> timedelta:
    clipped = interval.clip(start, end)
    return clipped.end - clipped.start if clipped else timedelta()
