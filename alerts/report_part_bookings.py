"""Filing a service report books its parts list: one transaction for the report and
every movement its catalogue parts call for.

Each line of a catalogue part (``alerts.part_replacement.book_report_line``): the
part is issued from its store on the ticket (using the ticket's reservation), with a
position it is installed there in place of the removed unit (taken out with its
failure reason), and the removed unit is returned faulty to a store and, when asked,
scrapped there. A line whose part is not in the catalogue stays text. When any line
cannot be booked (no stock, a unit that is not where the line says), nothing is
filed and nothing booked.

Which store a line's part came from: the line's ``issued_from``; else the store
holding the ticket's reservation of the part; else the filer's van.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts import closure_commands
from alerts.part_replacement import ReportLine, book_report_line
from alerts.stock_commands import Refused, refuse
from alerts.stock_ledger_rules import Refusal as StockRefusal
from alerts.stock_permissions import may_book
from alerts.ticket_lifecycle import Refusal
from models.service_report import ReplacedPart, ServiceReport, ServiceReportDraft
from models.stock import MovementKind
from models.users import User
from storage import parts_store, stock_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER
from storage.part_suggestion_queries import ticket_part_movements


@dataclass(frozen=True, slots=True)
class FiledWithParts:
    """The filed report and what its parts list booked, in words."""

    report: ServiceReport
    booked: tuple[str, ...]


async def file_report_booking_parts(
    conn: Connection, *, ticket_id: int, draft: ServiceReportDraft, user: User, at: datetime
) -> FiledWithParts | Refusal | StockRefusal | None:
    """File the report and book its parts, all or nothing: the ticket's refusal, the
    stock's refusal, or None when there is no ticket. Raises ``ReportError`` for a bad
    report, as filing does."""
    try:
        async with conn.transaction():
            filed = await closure_commands.file_report(
                conn, ticket_id=ticket_id, draft=draft, user=user, at=at
            )
            if not isinstance(filed, ServiceReport):
                return filed
            ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
            assert ticket is not None  # the report was just filed on it
            booked: list[str] = []
            for part in draft.parts:
                line = await _line(conn, ticket_id, part, draft, user)
                if line is not None:
                    booked += await book_report_line(
                        conn,
                        ticket_id=ticket_id,
                        machine_id=ticket.draft.machine_id,
                        line=line,
                        actor=user.login,
                        at=at,
                    )
            if booked:
                await ticket_store.append_event(
                    conn,
                    ticket_id=ticket_id,
                    at=at,
                    kind="parts_booked",
                    note="; ".join(booked),
                    actor=user.login,
                )
    except Refused as refused:
        return refused.refusal
    return FiledWithParts(filed, tuple(booked))


async def _line(
    conn: Connection, ticket_id: int, part: ReplacedPart, draft: ServiceReportDraft, user: User
) -> ReportLine | None:
    """The line to book, or None for a part the catalogue does not know (text only)."""
    if await parts_store.get_part(conn, part_number=part.part_number) is None:
        return None
    store_id = await _issuing_store(conn, ticket_id, part, user)
    if part.returned_to and await stock_store.get_store(conn, store_id=part.returned_to) is None:
        refuse(f"there is no store {part.returned_to} to return {part.removed_serial} to")
    if part.scrapped and not part.returned_to:
        refuse(f"say in which store {part.removed_serial or part.part_number} is scrapped")
    return ReportLine(
        part_number=part.part_number,
        serial=part.serial or None,
        quantity=part.quantity,
        position=part.position,
        removed_serial=part.removed_serial or None,
        # The report's root cause says why, when the line does not.
        failure_reason=part.failure_reason or draft.root_cause or draft.diagnosis,
        store_id=store_id,
        returned_to=part.returned_to or None,
        scrapped=part.scrapped,
    )


async def _issuing_store(conn: Connection, ticket_id: int, part: ReplacedPart, user: User) -> str:
    """The line's store, checked: the filer may issue there, or the ticket holds the part
    reserved there (the engineer picked up what the dispatch reserved)."""
    held = [
        m.store.id
        for m in await ticket_part_movements(conn, ticket_id=ticket_id)
        if m.part_number == part.part_number and m.reserved > 0
    ]
    van = await stock_store.van_of(conn, login=user.login)
    store_id = part.issued_from or (held[0] if held else van.id if van else "")
    if not store_id:
        refuse(f"say which store {part.part_number} came from (issued_from)")
    store = await stock_store.get_store(conn, store_id=store_id)
    if store is None:
        refuse(f"there is no store {store_id}")
    if store_id not in held and not may_book(user, MovementKind.ISSUE, store):
        refuse(f"{part.part_number} was not reserved for this ticket in {store.name}")
    return store_id
