"""A bearing kit's whole life: received, moved to the van, issued and installed on one
ticket, removed on another with its failure reason, returned faulty, repaired or scrapped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts import part_replacement, stock_commands
from alerts.part_replacement import Replacement
from alerts.stock_commands import Booking
from alerts.stock_ledger_rules import Refusal
from models.stock import (
    MovementKind,
    MovementRequest,
    SerialState,
    TraceEventKind,
)
from storage import parts_store, stock_store
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.api.factories import insert_ticket
from tests.parts.conftest import SEEDED_AT

pytestmark = pytest.mark.integration
K = MovementKind
E = TraceEventKind
KIT = "FIL12-BRG-KIT"
OLD = "BRG-2024-0117"  # in l1-filler's main drive since commissioning (config/installed_base.csv)
VAN = "van-demo-field-1"
DAY = timedelta(days=1)


async def _book(conn: Connection, request: MovementRequest, day: int) -> Booking:
    booked = await stock_commands.book_movement(
        conn, request=request, actor="demo-field-1", at=SEEDED_AT + day * DAY
    )
    assert isinstance(booked, Booking), booked
    return booked


async def _replace(
    conn: Connection, ticket: int, removed: str | None, new: str, day: int, reason: str
) -> Replacement | Refusal:
    return await part_replacement.book_replacement(
        conn,
        ticket_id=ticket,
        machine_id="l1-filler",
        position="main-drive",
        removed_serial=removed,
        installed_part_number=KIT,
        installed_serial=new,
        failure_reason=reason,
        store_id=VAN,
        actor="demo-field-1",
        at=SEEDED_AT + day * DAY,
    )


async def test_replace_and_return_cycle_is_traced_end_to_end(parts_pool: Pool) -> None:
    async with parts_pool.connection() as conn:
        first = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        second = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        await conn.commit()
        (new,) = [
            e.serial
            for e in await stock_store.ledger(conn, store_id="regional-hamburg", part_number=KIT)
        ]
        assert new is not None
        await _book(
            conn,
            MovementRequest(
                K.TRANSFER_OUT,
                "regional-hamburg",
                KIT,
                1,
                serial=new,
                to_store_id=VAN,
                emergency=True,
                ticket_id=first,
            ),
            day=1,
        )
        await _book(conn, MovementRequest(K.RESERVATION, VAN, KIT, 1, ticket_id=first), day=1)

        replaced = await _replace(conn, first, OLD, new, day=2, reason="outer race spalling")

        assert isinstance(replaced, Replacement)
        assert replaced.removed is not None and replaced.removed.serial == OLD
        assert replaced.issue is not None and replaced.issue.deltas.reserved == -1
        (level,) = await stock_store.stock_levels(conn, store_id=VAN, part_number=KIT)
        assert (level.on_hand, level.reserved) == (0, 0)
        inside = await parts_store.installed_parts(
            conn, machine_id="l1-filler", scope=EVERY_CUSTOMER
        )
        assert [(p.position, p.serial) for p in inside if p.part_number == KIT] == [
            ("main-drive", new)
        ]

        await _book(
            conn,
            MovementRequest(
                K.RETURN,
                VAN,
                KIT,
                1,
                ticket_id=first,
                serial=OLD,
                faulty=True,
                reason="outer race spalling",
            ),
            day=2,
        )
        await _book(
            conn,
            MovementRequest(
                K.TRANSFER_OUT,
                VAN,
                KIT,
                1,
                serial=OLD,
                faulty=True,
                to_store_id="central",
                reason="for repair",
            ),
            day=3,
        )
        await _book(
            conn,
            MovementRequest(K.REPAIR, "central", KIT, 1, serial=OLD, reason="reground"),
            day=20,
        )

        # A year on, the new kit fails too, and is beyond repair.
        again = await _replace(conn, second, new, OLD, day=400, reason="cage broken")
        assert isinstance(again, Refusal) and f"{VAN} has 0 available" in again.message
        await _book(
            conn,
            MovementRequest(K.TRANSFER_OUT, "central", KIT, 1, serial=OLD, to_store_id=VAN),
            day=399,
        )
        assert isinstance(await _replace(conn, second, new, OLD, 400, "cage broken"), Replacement)
        await _book(
            conn,
            MovementRequest(K.RETURN, VAN, KIT, 1, ticket_id=second, serial=new, faulty=True),
            day=400,
        )
        await _book(
            conn,
            MovementRequest(K.SCRAP, VAN, KIT, 1, serial=new, faulty=True, reason="cage broken"),
            day=401,
        )

        new_life = await part_replacement.serial_trace(conn, part_number=KIT, serial=new)
        old_life = await part_replacement.serial_trace(conn, part_number=KIT, serial=OLD)
        assert await stock_store.unbalanced_levels(conn) == []

    assert new_life is not None and old_life is not None
    assert [(e.kind, e.store_id, e.ticket_id, e.machine_id) for e in new_life.events] == [
        (E.RECEIVED, "regional-hamburg", None, None),
        (E.TRANSFERRED, VAN, first, None),
        (E.ISSUED, VAN, first, None),
        (E.INSTALLED, None, first, "l1-filler"),
        (E.REMOVED, None, second, "l1-filler"),
        (E.RETURNED, VAN, second, None),
        (E.SCRAPPED, VAN, None, None),
    ]
    removal = new_life.events[4]
    assert (removal.position, removal.reason, removal.actor) == (
        "main-drive",
        "cage broken",
        "demo-field-1",
    )
    assert "emergency transfer from regional-hamburg" in new_life.events[1].reason
    assert new_life.status.state is SerialState.SCRAPPED
    assert [e.kind for e in old_life.events] == [
        E.INSTALLED,
        E.REMOVED,
        E.RETURNED,
        E.TRANSFERRED,
        E.REPAIRED,
        E.TRANSFERRED,
        E.ISSUED,
        E.INSTALLED,
    ]
    assert old_life.events[1].reason == "outer race spalling"
    assert (old_life.status.state, old_life.status.machine_id) == (
        SerialState.INSTALLED,
        "l1-filler",
    )


async def test_a_replacement_that_does_not_match_the_machine_books_nothing(
    parts_pool: Pool,
) -> None:
    async with parts_pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        await conn.commit()
        before = len(await stock_store.ledger(conn))
        (unit,) = [
            e.serial for e in await stock_store.ledger(conn, store_id="central", part_number=KIT)
        ][:1]
        assert unit is not None

        wrong_serial = await _replace(conn, ticket, "BRG-0000", unit, 1, "noise")
        wrong_store = await _replace(conn, ticket, OLD, unit, 1, "noise")  # the unit is central
        wrong_part = await part_replacement.book_replacement(
            conn,
            ticket_id=ticket,
            machine_id="l1-capper",
            position="main-drive",
            removed_serial=None,
            installed_part_number=KIT,
            installed_serial=unit,
            failure_reason="noise",
            store_id="central",
            actor="demo-field-1",
            at=SEEDED_AT + DAY,
        )

        assert isinstance(wrong_serial, Refusal) and f"serial {OLD}, not BRG-0000" in (
            wrong_serial.message
        )
        assert isinstance(wrong_store, Refusal) and f"{VAN} has 0 available" in wrong_store.message
        assert isinstance(wrong_part, Refusal) and "does not fit a CAP-6" in wrong_part.message
        assert len(await stock_store.ledger(conn)) == before
        inside = await parts_store.installed_parts(
            conn, machine_id="l1-filler", scope=EVERY_CUSTOMER
        )
        assert OLD in {p.serial for p in inside}
