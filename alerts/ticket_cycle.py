"""The ticket cycle of one line: SLA warnings and breaches, and machine stops reaching tickets.

Runs after the alert cycle, as of the line's newest sample. Each ticket is
handled in its own transaction and locked alone (never an alert after it), so it
cannot deadlock with the alert job, which locks an alert before its ticket.

- SLA: at 80 % of a clock's promised time a warning is recorded, at the breach
  the ticket is escalated to the technical support centre; each once per clock.
- Impact: a breakdown of the ticket's machine while the ticket is open is added
  to it with its PLC fault code, and re-grades it (``alerts.ticket_impact``);
  the SLA deadlines stay those of the opening. A stop still going on is written
  as such; when the machine runs again a second event gives the real end and
  length (``machine_running``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from alerts.sla_clocks import clock_notices, describe_left
from alerts.ticket_escalation import is_past_repair, regrade_for
from alerts.ticket_impact import impact_grade, running_note, stop_note
from alerts.ticket_sla import ticket_clocks
from models.plant import Line, Plant
from models.tickets import MachineStop, SlaClockKind, Ticket, TicketStatus
from storage import machine_event_reader, ticket_store, ticket_workflow_store
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TicketCycleReport:
    """Numbers of the tickets warned, escalated and re-graded in one cycle."""

    warned: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    regraded: tuple[str, ...] = ()


async def run_ticket_cycle(
    pool: Pool, plant: Plant, *, now: datetime, line: Line
) -> TicketCycleReport:
    """Watch the SLA clocks of the line's open tickets and add the machines' stops to them."""
    async with pool.connection() as conn:
        ticket_ids = await ticket_workflow_store.open_tickets_of_machines(
            conn, machine_ids=[m.id for m in line.machines], closed=[TicketStatus.ARCHIVED]
        )
    warned: list[str] = []
    escalated: list[str] = []
    regraded: list[str] = []
    for ticket_id in ticket_ids:
        async with pool.connection() as conn, conn.transaction():
            ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
            if ticket is None or ticket.status is TicketStatus.ARCHIVED:
                continue
            notices = await _watch_sla(conn, plant, ticket, now)
            if "warning" in notices:
                warned.append(ticket.number)
            if "breach" in notices:
                escalated.append(ticket.number)
            if await _add_stops(conn, plant, ticket, now):
                regraded.append(ticket.number)
    return TicketCycleReport(tuple(warned), tuple(escalated), tuple(regraded))


async def _watch_sla(conn: Connection, plant: Plant, ticket: Ticket, now: datetime) -> set[str]:
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[ticket.id])
    clocks = {
        c.kind: c for c in ticket_clocks(ticket, plant, waits=waits.get(ticket.id, []), now=now)
    }
    sent: set[str] = set()
    for kind, notice in clock_notices(list(clocks.values())):
        if not await ticket_workflow_store.record_notice(
            conn, ticket_id=ticket.id, clock=kind, kind=notice, at=now
        ):
            continue
        sent.add(notice)
        clock = clocks[kind]
        await ticket_store.append_event(
            conn,
            ticket_id=ticket.id,
            at=now,
            kind=f"sla_{notice}",
            note=_notice_note(kind, notice, describe_left(clock.left), clock.due),
            field=f"{kind.value}_clock",
            new_value=notice,
        )
        if notice == "breach":
            await ticket_workflow_store.mark_escalated(conn, ticket_id=ticket.id, at=now)
    return sent


def _notice_note(kind: SlaClockKind, notice: str, left: str, due: datetime) -> str:
    if notice == "warning":
        return f"{kind.value} clock at 80 % of its time: {left} (due {due:%Y-%m-%d %H:%M %Z})"
    return (
        f"{kind.value} deadline {due:%Y-%m-%d %H:%M %Z} breached ({left}):"
        " escalated to the technical support centre"
    )


async def _add_stops(conn: Connection, plant: Plant, ticket: Ticket, now: datetime) -> bool:
    """Add the machine's new breakdowns to the ticket, and their ends once it runs again;
    True when a stop re-graded it.

    Only fault tickets hear of stops: a breakdown during planned maintenance work
    that is still to come is no news for that ticket. After the repair no new stop
    is added (a new fault is a new ticket), but a stop already on the ticket still
    gets its end.
    """
    if not ticket.draft.ticket_type.is_fault:
        return False
    site = plant.placement_of(ticket.draft.machine_id).site
    machine_lines = {m.id: line.id for line in site.lines for m in line.machines}
    stops = await ticket_workflow_store.breakdown_stops(
        conn, machine_lines=machine_lines, since=ticket.draft.received_at, until=now
    )
    claimed = await ticket_workflow_store.claimed_stop_starts(
        conn, ticket_id=ticket.id, machine_id=ticket.draft.machine_id
    )
    events = await ticket_store.ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    running_again = [e.at for e in events if e.kind == "machine_running"]
    regraded = False
    current = ticket
    for stop in (s for s in stops if s.machine_id == ticket.draft.machine_id):
        if stop.started in claimed:
            if any(stop.started < at <= stop.ended for at in running_again):
                continue
            over = await _is_over(conn, stop, now)
        else:
            if is_past_repair(ticket.status) or not await ticket_workflow_store.claim_stop(
                conn, ticket_id=ticket.id, stop=stop
            ):
                continue
            over = await _is_over(conn, stop, now)
            regrade = await _add_stop(conn, plant, current, stop, stops, ongoing=not over)
            if regrade is not None:
                current, regraded = regrade, True
        if over:
            await ticket_store.append_event(
                conn,
                ticket_id=ticket.id,
                at=stop.ended,
                kind="machine_running",
                note=running_note(stop, plant),
                field="machine_state",
                old_value="stopped",
                new_value="running",
            )
    return regraded


async def _is_over(conn: Connection, stop: MachineStop, now: datetime) -> bool:
    """Whether the machine runs again. A stop still going on is cut where the analysis'
    data ended (its newest sample, or an older one when the stop's shift was not
    recomputed since), so its end is real only where the machine's state changed."""
    return stop.ended <= now and await machine_event_reader.state_changed_at(
        conn, machine_id=stop.machine_id, started=stop.started, ended=stop.ended
    )


async def _add_stop(
    conn: Connection,
    plant: Plant,
    ticket: Ticket,
    stop: MachineStop,
    site_stops: list[MachineStop],
    *,
    ongoing: bool,
) -> Ticket | None:
    """Write the stop on the ticket and re-grade it; the re-graded ticket, or None."""
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=stop.started,
        kind="machine_stop",
        note=stop_note(stop, plant, ongoing=ongoing),
        field="fault_code",
        new_value=str(stop.fault_code) if stop.fault_code is not None else None,
    )
    regrade = regrade_for(ticket, impact_grade(stop, site_stops))
    if regrade is None:
        return None
    await ticket_store.regrade_ticket(
        conn,
        ticket_id=ticket.id,
        old_severity=ticket.draft.severity,
        severity=regrade.severity,
        ticket_type=regrade.ticket_type,
        at=stop.started,
        kind="regraded",
        note=(
            f"the stop re-grades the ticket {ticket.draft.severity} -> {regrade.severity}"
            f" (type {regrade.ticket_type}); SLA deadlines unchanged (measured as at opening)"
        ),
    )
    log.info("stop of %s re-graded ticket %s", stop.machine_id, ticket.number)
    reread = await ticket_store.get_ticket(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    return reread if reread is not None else ticket
