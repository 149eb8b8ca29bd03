"""The fleet overview for support and the desk: each line's machines, alerts and SLA risks.

Five queries serve the whole fleet: the machines' newest states and scores
(api/line_overview.py), their connection status, their open alerts, and the
open tickets, whose SLA clocks are counted here on each site's calendar. Lines
come out in the order a service manager works them: overdue promises first,
then promises at risk, open alerts, machines offline, and the quiet lines last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.ticket_sla import ticket_clocks
from api.access_scope import LinePlacement
from api.line_overview import line_overviews
from api.schemas.fleet import (
    Attention,
    FleetDeadlinePublic,
    FleetLinePublic,
    FleetMachinePublic,
    FleetPublic,
    FleetTotalsPublic,
    MachineConnection,
)
from api.schemas.lines import LinePublic, MachinePublic
from models.machine_status import MachineStatus
from models.plant import Plant, Severity
from models.tickets import SlaClock, SlaClockState, Ticket
from storage import fleet_queries, machine_status_store, ticket_store, ticket_workflow_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope
from storage.fleet_queries import OpenAlerts

RUNNING_STATE = 6  # PackML Execute
_ATTENTION_ORDER: tuple[Attention, ...] = ("sla_breached", "sla_at_risk", "alert", "offline", "ok")
_SEVERITY_RANK = {grade: rank for rank, grade in enumerate(Severity)}
_UNMET = (SlaClockState.RUNNING, SlaClockState.WARNING, SlaClockState.BREACHED)


@dataclass(frozen=True, slots=True)
class TicketClocks:
    ticket: Ticket
    clocks: tuple[SlaClock, ...]


async def fleet_overview(
    conn: Connection,
    plant: Plant,
    placements: Sequence[LinePlacement],
    *,
    now: datetime,
    scope: CustomerScope,
) -> FleetPublic:
    """The given lines, what needs attention first, with the fleet's totals; every store
    read is confined to ``scope``."""
    overviews = await line_overviews(conn, placements, scope=scope)
    machine_ids = [m.id for line in overviews for m in line.machines]
    status = {
        s.machine_id: s
        for s in await machine_status_store.list_machine_status(
            conn, machine_ids=machine_ids, scope=scope
        )
    }
    alerts = await fleet_queries.open_alerts_by_machine(conn, machine_ids=machine_ids, scope=scope)
    tickets = await ticket_store.open_tickets(
        conn, line_ids=[line.id for line in overviews], scope=scope
    )
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[t.id for t in tickets])
    clocked = [
        TicketClocks(t, ticket_clocks(t, plant, waits=waits.get(t.id, []), now=now))
        for t in tickets
    ]
    lines = sorted(
        (
            _line(line, status, alerts, [c for c in clocked if c.ticket.draft.line_id == line.id])
            for line in overviews
        ),
        key=_urgency,
    )
    return FleetPublic(as_of=now, totals=_totals(lines), lines=lines)


def _machine(
    machine: MachinePublic, status: MachineStatus | None, alerts: OpenAlerts | None
) -> FleetMachinePublic:
    connection: MachineConnection = "unknown"
    offline_since = None
    if status is not None:
        connection = "online" if status.online else "offline"
        offline_since = None if status.online else status.since
    return FleetMachinePublic(
        id=machine.id,
        name=machine.name,
        model=machine.model,
        connection=connection,
        offline_since=offline_since,
        state=machine.state,
        anomaly_score=machine.anomaly.score if machine.anomaly is not None else None,
        open_alerts=alerts.count if alerts is not None else 0,
        worst_alert=alerts.worst if alerts is not None else None,
    )


def _line(
    line: LinePublic,
    status: Mapping[str, MachineStatus],
    alerts: Mapping[str, OpenAlerts],
    tickets: Sequence[TicketClocks],
) -> FleetLinePublic:
    machines = [_machine(m, status.get(m.id), alerts.get(m.id)) for m in line.machines]
    breached = sum(any(c.state is SlaClockState.BREACHED for c in t.clocks) for t in tickets)
    at_risk = sum(
        not any(c.state is SlaClockState.BREACHED for c in t.clocks)
        and any(c.state is SlaClockState.WARNING for c in t.clocks)
        for t in tickets
    )
    offline = sum(m.connection == "offline" for m in machines)
    silent = sum(m.connection == "unknown" for m in machines)
    open_alerts = sum(m.open_alerts for m in machines)
    worst = worst_severity(m.worst_alert for m in machines)
    attention, reasons = line_attention(
        sla_breached=breached,
        sla_at_risk=at_risk,
        open_alerts=open_alerts,
        worst_alert=worst,
        machines_offline=offline,
        machines_silent=silent,
    )
    return FleetLinePublic(
        id=line.id,
        name=line.name,
        model=line.model,
        customer=line.customer,
        site=line.site,
        attention=attention,
        reasons=reasons,
        machines=machines,
        machines_running=sum(
            m.connection != "offline" and m.state is not None and m.state.code == RUNNING_STATE
            for m in machines
        ),
        machines_offline=offline,
        machines_silent=silent,
        open_alerts=open_alerts,
        worst_alert=worst,
        open_tickets=len(tickets),
        sla_breached=breached,
        sla_at_risk=at_risk,
        next_deadline=pressing_deadline(tickets),
    )


def worst_severity(grades: Iterable[Severity | None]) -> Severity | None:
    known = [g for g in grades if g is not None]
    return max(known, key=_SEVERITY_RANK.__getitem__) if known else None


def line_attention(
    *,
    sla_breached: int,
    sla_at_risk: int,
    open_alerts: int,
    worst_alert: Severity | None,
    machines_offline: int,
    machines_silent: int = 0,
) -> tuple[Attention, list[str]]:
    """The worst of what a line needs, and every reason in words, the worst first."""
    found: list[tuple[Attention, str]] = []
    if sla_breached:
        found.append(("sla_breached", _count(sla_breached, "ticket", "past an SLA deadline")))
    if sla_at_risk:
        found.append(("sla_at_risk", _count(sla_at_risk, "ticket", "near an SLA deadline")))
    if open_alerts:
        grade = f" ({worst_alert.value} at worst)" if worst_alert is not None else ""
        found.append(("alert", _count(open_alerts, "open alert", "") + grade))
    if machines_offline:
        found.append(("offline", _count(machines_offline, "machine", "offline")))
    if machines_silent:
        # Commissioned but never heard from: as much a blind spot as a lost connection.
        found.append(("offline", _count(machines_silent, "machine", "not reporting yet")))
    if not found:
        return "ok", []
    return found[0][0], [reason for _, reason in found]


def _count(n: int, noun: str, rest: str) -> str:
    words = f"{n} {noun}{'' if n == 1 else 's'}"
    return f"{words} {rest}" if rest else words


def pressing_deadline(tickets: Sequence[TicketClocks]) -> FleetDeadlinePublic | None:
    """The unmet SLA clock with the least time left among the line's open tickets."""
    unmet = [(t, c) for t in tickets for c in t.clocks if c.state in _UNMET]
    if not unmet:
        return None
    pressing, clock = min(unmet, key=lambda pair: pair[1].left)
    return FleetDeadlinePublic(
        ticket_id=pressing.ticket.id,
        ticket_number=pressing.ticket.number,
        kind=clock.kind,
        state=clock.state,
        due=clock.due_now or clock.due,
        seconds_left=int(clock.left.total_seconds()),
    )


def _urgency(line: FleetLinePublic) -> tuple[int, float, str, str]:
    left = line.next_deadline.seconds_left if line.next_deadline is not None else float("inf")
    return (_ATTENTION_ORDER.index(line.attention), left, line.customer.name, line.name)


def _totals(lines: Sequence[FleetLinePublic]) -> FleetTotalsPublic:
    return FleetTotalsPublic(
        lines=len(lines),
        machines=sum(len(line.machines) for line in lines),
        machines_online=sum(m.connection == "online" for line in lines for m in line.machines),
        machines_offline=sum(line.machines_offline for line in lines),
        open_alerts=sum(line.open_alerts for line in lines),
        open_tickets=sum(line.open_tickets for line in lines),
        sla_breached=sum(line.sla_breached for line in lines),
        sla_at_risk=sum(line.sla_at_risk for line in lines),
    )
