"""A stored ticket's SLA clocks, on its site's calendar and its contract's rules. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts.sla_calendar import site_calendar
from alerts.sla_clocks import ClockInputs, sla_clocks
from models.plant import Plant
from models.tickets import SlaClock, Span, Ticket


def ticket_clocks(
    ticket: Ticket, plant: Plant, *, waits: Sequence[Span], now: datetime
) -> tuple[SlaClock, ...]:
    """Response, arrival and resolution as of ``now``.

    Waits for the customer pause the clocks only where the contract said so when
    the ticket opened; working time is the site's, where the contract counted it.
    """
    draft = ticket.draft
    site = plant.placement_of(draft.machine_id).site
    inputs = ClockInputs(
        received_at=draft.received_at,
        deadlines=draft.deadlines,
        milestones=ticket.work.milestones,
        calendar=site_calendar(site, counts_working_time=draft.counts_working_time),
        paused=tuple(waits) if draft.pauses_for_customer else (),
    )
    return sla_clocks(inputs, now=now)
