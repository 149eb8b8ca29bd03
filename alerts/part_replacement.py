"""Serialized units: a unit's whole life, and replacing a part in a machine.

``book_replacement`` is what a service report's parts line books: the new unit
is issued from the engineer's store on the ticket (unless it was issued on it
already), the old one comes out of the machine with its failure reason, and the
new one goes in, all in one transaction. The removed unit is then returned
(``stock_commands.book_movement`` with kind return, usually faulty), and later
repaired or scrapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.serial_trace import merged
from alerts.stock_commands import Refused, book_in_transaction, refuse
from alerts.stock_ledger_rules import Refusal, installed, removed
from models.parts import InstalledPart
from models.stock import (
    LedgerEntry,
    MovementKind,
    MovementRequest,
    SerialState,
    SerialStatus,
    SerialTrace,
)
from storage import parts_store, stock_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER


@dataclass(frozen=True, slots=True)
class Replacement:
    """What a replacement booked: the issue (None when issued before), what came out, what
    went in."""

    issue: LedgerEntry | None
    removed: InstalledPart | None
    installed: InstalledPart


async def serial_trace(conn: Connection, *, part_number: str, serial: str) -> SerialTrace | None:
    """The unit's life, oldest step first; None when the unit was never seen."""
    status = await stock_store.get_serial(conn, part_number=part_number, serial=serial)
    if status is None:
        return None
    entries = await stock_store.serial_entries(conn, part_number=part_number, serial=serial)
    installations = await parts_store.serial_installations(
        conn, part_number=part_number, serial=serial
    )
    return SerialTrace(status=status, events=merged(entries, installations))


async def seed_installed(conn: Connection, *, item: InstalledPart) -> None:
    """Put a part into the installed base without a ticket (commissioning, a demo)."""
    await parts_store.install_part(conn, item=item, by=None)
    if item.serial is not None:
        status = SerialStatus(
            item.part_number,
            item.serial,
            SerialState.INSTALLED,
            machine_id=item.machine_id,
            position=item.position,
        )
        await stock_store.save_serial(conn, status=status, at=item.installed_at)


async def book_replacement(
    conn: Connection,
    *,
    ticket_id: int,
    machine_id: str,
    position: str,
    removed_serial: str | None,
    installed_part_number: str,
    installed_serial: str | None,
    failure_reason: str,
    store_id: str,
    actor: str,
    at: datetime,
    quantity: int = 1,
) -> Replacement | Refusal:
    """Replace the part at the machine position on the ticket, or say why not (nothing is
    booked then). ``removed_serial`` must name the unit in the machine when it is serialized."""
    try:
        async with conn.transaction():
            return await _replace(
                conn,
                _Job(ticket_id, machine_id, position, failure_reason, store_id, actor, at),
                removed_serial=removed_serial,
                part_number=installed_part_number,
                serial=installed_serial,
                quantity=quantity,
            )
    except Refused as refused:
        return refused.refusal


@dataclass(frozen=True, slots=True)
class _Job:
    ticket_id: int
    machine_id: str
    position: str
    failure_reason: str
    store_id: str
    actor: str
    at: datetime


async def _replace(
    conn: Connection,
    job: _Job,
    *,
    removed_serial: str | None,
    part_number: str,
    serial: str | None,
    quantity: int,
) -> Replacement:
    await _check_fit(conn, job, part_number)
    # Checked first without a lock, for a clear answer before anything is booked; the
    # issue then takes its level and unit locks before the installed row and the old
    # unit, the order every booking follows (level, then unit), so none can deadlock.
    _check_removed(job, await _installed_now(conn, job), removed_serial)
    issue = await _issue_unless_issued(conn, job, part_number, serial, quantity)
    old = await parts_store.lock_installed(conn, machine_id=job.machine_id, position=job.position)
    _check_removed(job, old, removed_serial)
    if old is not None:
        await _take_out(conn, job, old)
    new = InstalledPart(
        machine_id=job.machine_id,
        position=job.position,
        part_number=part_number,
        serial=serial,
        quantity=quantity,
        installed_at=job.at,
        installed_on_ticket=job.ticket_id,
    )
    if serial is not None:
        current = await stock_store.lock_serial(conn, part_number=part_number, serial=serial)
        placed = installed(
            current, ticket_id=job.ticket_id, machine_id=job.machine_id, position=job.position
        )
        _raise_refusal(placed)
        assert isinstance(placed, SerialStatus)
        await stock_store.save_serial(conn, status=placed, at=job.at)
    await parts_store.install_part(conn, item=new, by=job.actor)
    return Replacement(issue=issue, removed=old, installed=new)


async def _check_fit(conn: Connection, job: _Job, part_number: str) -> None:
    cursor = await conn.execute(
        "SELECT m.model, t.line_id = m.line_id FROM machines m"
        " LEFT JOIN tickets t ON t.id = %s WHERE m.id = %s",
        (job.ticket_id, job.machine_id),
    )
    row = await cursor.fetchone()
    if row is None:
        refuse(f"there is no machine {job.machine_id}")
    if row[1] is None:
        refuse(f"there is no ticket {job.ticket_id}")
    if not row[1]:
        refuse(f"ticket {job.ticket_id} is about another line than {job.machine_id}")
    part = await parts_store.get_part(conn, part_number=part_number)
    if part is None:
        refuse(f"there is no part {part_number} in the catalogue")
    if not part.part.fits_at(row[0], job.position):
        refuse(f"{part_number} does not fit a {row[0]} at {job.position}: genuine parts only")
    if not job.failure_reason.strip():
        refuse("say why the part is replaced (its failure reason)")


async def _installed_now(conn: Connection, job: _Job) -> InstalledPart | None:
    items = await parts_store.installed_parts(conn, machine_id=job.machine_id, scope=EVERY_CUSTOMER)
    return next((item for item in items if item.position == job.position), None)


def _check_removed(job: _Job, old: InstalledPart | None, removed_serial: str | None) -> None:
    if old is None:
        if removed_serial is not None:
            refuse(f"nothing is installed in {job.machine_id} at {job.position}")
        return
    if old.serial != removed_serial:
        refuse(
            f"{job.machine_id} at {job.position} holds {old.part_number} serial {old.serial},"
            f" not {removed_serial}"
        )


async def _take_out(conn: Connection, job: _Job, old: InstalledPart) -> None:
    await parts_store.remove_part(
        conn,
        machine_id=job.machine_id,
        position=job.position,
        ticket_id=job.ticket_id,
        reason=job.failure_reason,
        by=job.actor,
        at=job.at,
    )
    if old.serial is None:
        return
    current = await stock_store.lock_serial(conn, part_number=old.part_number, serial=old.serial)
    if current is None:  # installed before LineCare tracked the unit
        current = SerialStatus(
            old.part_number,
            old.serial,
            SerialState.INSTALLED,
            machine_id=job.machine_id,
            position=job.position,
        )
    out = removed(
        current, ticket_id=job.ticket_id, machine_id=job.machine_id, position=job.position
    )
    _raise_refusal(out)
    assert isinstance(out, SerialStatus)
    await stock_store.save_serial(conn, status=out, at=job.at)


async def _issue_unless_issued(
    conn: Connection, job: _Job, part_number: str, serial: str | None, quantity: int
) -> LedgerEntry | None:
    if serial is not None:
        current = await stock_store.get_serial(conn, part_number=part_number, serial=serial)
        if (
            current is not None
            and current.state is SerialState.ISSUED
            and current.ticket_id == job.ticket_id
        ):
            return None
    request = MovementRequest(
        kind=MovementKind.ISSUE,
        store_id=job.store_id,
        part_number=part_number,
        quantity=quantity,
        ticket_id=job.ticket_id,
        serial=serial,
        reason=f"replacement in {job.machine_id} at {job.position}",
    )
    booking = await book_in_transaction(conn, request=request, actor=job.actor, at=job.at)
    return booking.entries[0]


def _raise_refusal(result: object) -> None:
    if isinstance(result, Refusal):
        raise Refused(result)


@dataclass(frozen=True, slots=True)
class ReportLine:
    """A service report's parts line to book on the ticket's machine: the part issued from
    ``store_id`` and, with a ``position``, installed there in place of ``removed_serial``;
    the removed unit returned faulty to ``returned_to`` (and scrapped there)."""

    part_number: str
    serial: str | None
    quantity: int
    position: str
    removed_serial: str | None
    failure_reason: str
    store_id: str
    returned_to: str | None
    scrapped: bool


async def book_report_line(
    conn: Connection,
    *,
    ticket_id: int,
    machine_id: str,
    line: ReportLine,
    actor: str,
    at: datetime,
) -> list[str]:
    """Book what of the line is not booked yet, inside the caller's transaction; raises
    ``Refused``. A report filed again books nothing twice: the unit already installed on
    this ticket, the issue already made, the unit already returned or scrapped are left.
    Answers what was booked, in words."""
    booked = []
    job = _Job(ticket_id, machine_id, line.position, line.failure_reason, line.store_id, actor, at)
    if line.position:
        if not await _installed_on_ticket(conn, job, line):
            await _replace(
                conn,
                job,
                removed_serial=line.removed_serial,
                part_number=line.part_number,
                serial=line.serial,
                quantity=line.quantity,
            )
            booked.append(f"{line.part_number} installed in {machine_id} at {line.position}")
    elif await _issued_on_ticket(conn, ticket_id, line.part_number) < line.quantity:
        await _issue_unless_issued(conn, job, line.part_number, line.serial, line.quantity)
        booked.append(f"{line.quantity} x {line.part_number} issued")
    if line.removed_serial and line.returned_to:
        booked.extend(await _send_back(conn, job, line))
    return booked


async def _installed_on_ticket(conn: Connection, job: _Job, line: ReportLine) -> bool:
    now_in = await _installed_now(conn, job)
    return (
        now_in is not None
        and now_in.installed_on_ticket == job.ticket_id
        and now_in.part_number == line.part_number
        and now_in.serial == line.serial
    )


async def _issued_on_ticket(conn: Connection, ticket_id: int, part_number: str) -> int:
    entries = await stock_store.ledger(conn, part_number=part_number, ticket_id=ticket_id)
    return sum(e.quantity for e in entries if e.kind is MovementKind.ISSUE)


async def _send_back(conn: Connection, job: _Job, line: ReportLine) -> list[str]:
    """Return the removed unit faulty to its store, and scrap it there when asked; each
    step only while the unit is where that step finds it (a second filing skips it)."""
    assert line.removed_serial is not None and line.returned_to is not None
    # The removed part is the one that was in the machine: its part number may differ.
    removed_part = await _removed_part_number(conn, job, line.removed_serial)
    if removed_part is None:
        refuse(f"{line.removed_serial} was not removed from {job.machine_id} on this ticket")
    status = await stock_store.get_serial(
        conn, part_number=removed_part, serial=line.removed_serial
    )
    done = []
    if status is not None and status.state is SerialState.REMOVED:
        await _book(
            conn,
            job,
            MovementRequest(
                kind=MovementKind.RETURN,
                store_id=line.returned_to,
                part_number=removed_part,
                quantity=1,
                ticket_id=job.ticket_id,
                serial=line.removed_serial,
                reason=f"removed from {job.machine_id} at {job.position}: {job.failure_reason}",
                faulty=True,
            ),
        )
        done.append(f"{removed_part} {line.removed_serial} returned faulty to {line.returned_to}")
        status = await stock_store.get_serial(
            conn, part_number=removed_part, serial=line.removed_serial
        )
    if line.scrapped and status is not None and status.state is SerialState.FAULTY_IN_STORE:
        await _book(
            conn,
            job,
            MovementRequest(
                kind=MovementKind.SCRAP,
                store_id=status.store_id or line.returned_to,
                part_number=removed_part,
                quantity=1,
                ticket_id=job.ticket_id,
                serial=line.removed_serial,
                reason=f"not worth repairing: {job.failure_reason}",
                faulty=True,
            ),
        )
        done.append(f"{removed_part} {line.removed_serial} scrapped")
    return done


async def _removed_part_number(conn: Connection, job: _Job, serial: str) -> str | None:
    history = await parts_store.installed_parts(
        conn, machine_id=job.machine_id, with_history=True, scope=EVERY_CUSTOMER
    )
    return next(
        (
            item.part_number
            for item in reversed(history)
            if item.serial == serial and item.removed_on_ticket == job.ticket_id
        ),
        None,
    )


async def _book(conn: Connection, job: _Job, request: MovementRequest) -> None:
    await book_in_transaction(conn, request=request, actor=job.actor, at=job.at)
