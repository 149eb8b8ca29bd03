"""A small past service history of the demo's fillers, so the suggested parts have
something to learn from: archived fault tickets with their PLC fault codes, driving
signals and the parts their reports list, including a sensor swapped for a bearing
fault that came back ten days later.

Seeded once (a second run finds its tickets and changes nothing); every ticket is
more than the repeat window old, so none makes the demo's own bearing ticket a
repeated fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.plant import Plant, Severity
from models.service_report import ReplacedPart, ServiceReportDraft
from models.tickets import (
    Channel,
    Milestones,
    SlaDeadlines,
    TicketDraft,
    TicketStatus,
    TicketType,
)
from storage import service_report_store, ticket_store, ticket_workflow_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

HISTORY_AUTHOR = "demo-history"
_BEARING = ("vibration_rms", "bearing_temp")


@dataclass(frozen=True, slots=True)
class _Past:
    days_ago: int
    machine_id: str
    fault_code: int
    signals: tuple[str, ...]
    part_number: str
    position: str
    summary: str


_HISTORY = (
    _Past(420, "l2-filler", 201, _BEARING, "FIL12-BRG-KIT", "main-drive", "Main drive bearing"),
    _Past(
        330,
        "l1-filler",
        103,
        ("fill_level",),
        "FIL12-VALVE-SEAL",
        "filling-valves",
        "Dripping filling valves",
    ),
    _Past(260, "l1-filler", 201, _BEARING, "FIL12-BRG-KIT", "main-drive", "Main drive bearing"),
    # A sensor swapped for a bearing fault: the fault came back within ten days.
    _Past(190, "l2-filler", 201, _BEARING, "SENS-PX-M18", "infeed-sensor", "Drive trips"),
    _Past(180, "l2-filler", 201, _BEARING, "FIL12-BRG-KIT", "main-drive", "Drive trips again"),
    _Past(120, "l2-filler", 102, (), "FIL12-LEVEL-PROBE", "bowl-level", "Bowl level low"),
    _Past(75, "l1-filler", 101, (), "SENS-PX-M18", "infeed-sensor", "Infeed jams"),
)


async def seed_service_history(conn: Connection, *, plant: Plant, now: datetime) -> int:
    """Add the past tickets unless they are there; how many were added."""
    for machine_id in {p.machine_id for p in _HISTORY}:
        seeded = await ticket_store.list_tickets(
            conn, scope=EVERY_CUSTOMER, machine_id=machine_id, limit=200
        )
        if any(t.draft.created_by == HISTORY_AUTHOR for t in seeded):
            return 0
    async with conn.transaction():
        for past in _HISTORY:
            await _seed_one(conn, plant, past, now - timedelta(days=past.days_ago))
    return len(_HISTORY)


async def _seed_one(conn: Connection, plant: Plant, past: _Past, at: datetime) -> None:
    placement = plant.placement_of(past.machine_id)
    customer = placement.customer
    draft = TicketDraft(
        customer_id=customer.id,
        contract_number=customer.contract.number,
        contact_name=customer.contact.name,
        line_id=placement.line.id,
        machine_id=past.machine_id,
        machine_model=placement.machine.model,
        machine_serial=placement.machine.serial,
        ticket_type=TicketType.GENERAL_FAULT,
        channel=Channel.HOTLINE,
        severity=Severity.SERIOUS,
        under_warranty=False,
        summary=past.summary,
        symptoms=f"{past.summary} (fault {past.fault_code})",
        signals=past.signals,
        received_at=at,
        deadlines=SlaDeadlines(
            at + timedelta(hours=1), at + timedelta(hours=24), at + timedelta(hours=48)
        ),
        created_by=HISTORY_AUTHOR,
    )
    ticket = await ticket_store.register_ticket(conn, draft=draft, note="service history")
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=at,
        kind="machine_stop",
        note=f"stopped on fault {past.fault_code}",
        field="fault_code",
        new_value=str(past.fault_code),
    )
    restored = at + timedelta(hours=8)
    report = ServiceReportDraft(
        symptoms=draft.symptoms,
        diagnosis=past.summary,
        root_cause=past.summary,
        actions_taken=f"Replaced {past.part_number} at {past.position}",
        state_before="Stopped",
        state_after="Running",
        failure_at=at,
        arrived_at=at + timedelta(hours=4),
        restored_at=restored,
        parts=(ReplacedPart(past.part_number, "", 1, past.position, monitored=False),),
    )
    await service_report_store.insert_report(
        conn,
        ticket_id=ticket.id,
        draft=report,
        by=HISTORY_AUTHOR,
        role="field_engineer",
        at=restored,
    )
    await ticket_workflow_store.set_status(
        conn,
        ticket_id=ticket.id,
        status=TicketStatus.ARCHIVED,
        resume_status=None,
        milestones=Milestones(at + timedelta(minutes=30), at + timedelta(hours=4), restored),
    )
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=restored + timedelta(days=7),
        kind="transition",
        note="service history",
        actor=HISTORY_AUTHOR,
        field="status",
        old_value=TicketStatus.REGISTERED.value,
        new_value=TicketStatus.ARCHIVED.value,
    )
