"""Booking movements against the real database: levels follow the ledger, the last unit
goes to one person only, and the table's checks hold even against a careless writer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
import pytest

from alerts import stock_commands
from alerts.stock_commands import Booking
from alerts.stock_ledger_rules import Refusal
from models.stock import MovementKind, MovementRequest, StockLevel
from storage import stock_store
from storage.connections import Pool
from tests.api.factories import insert_ticket
from tests.parts.conftest import SEEDED_AT

pytestmark = pytest.mark.integration
K = MovementKind
AT = SEEDED_AT + timedelta(days=1)


async def _ticket(pool: Pool) -> int:
    async with pool.connection() as conn:
        return await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )


async def _level(pool: Pool, store_id: str, part_number: str) -> StockLevel:
    async with pool.connection() as conn:
        (level,) = await stock_store.stock_levels(conn, store_id=store_id, part_number=part_number)
    return level


async def _book(
    pool: Pool, request: MovementRequest, actor: str = "demo-parts"
) -> Booking | Refusal:
    async with pool.connection() as conn:
        return await stock_commands.book_movement(conn, request=request, actor=actor, at=AT)


async def test_the_demo_seed_books_every_unit_and_balances(parts_pool: Pool) -> None:
    async with parts_pool.connection() as conn:
        assert await stock_store.unbalanced_levels(conn) == []
        stores = await stock_store.list_stores(conn)
        warnings = await stock_store.low_stock(conn)
    assert [s.kind for s in stores][:3] == ["central", "regional", "regional"]
    assert {s.owner_login for s in stores if s.kind == "van"} == {
        "demo-field-1",
        "demo-field-2",
        "demo-field-3",
    }
    assert (await _level(parts_pool, "central", "FIL12-BRG-KIT")).on_hand == 3
    assert [(w.level.store_id, w.level.part_number) for w in warnings] == [
        ("central", "LAB2-GLUE-PUMP")
    ]


async def test_a_reservation_is_used_up_by_the_issue_and_the_rest_stays_free(
    parts_pool: Pool,
) -> None:
    ticket = await _ticket(parts_pool)

    def seal(kind: MovementKind, quantity: int) -> MovementRequest:
        return MovementRequest(
            kind, "regional-hamburg", "FIL12-VALVE-SEAL", quantity, ticket_id=ticket
        )

    reserved = await _book(parts_pool, seal(K.RESERVATION, 4))
    issued = await _book(parts_pool, seal(K.ISSUE, 3))
    released = await _book(parts_pool, seal(K.RELEASE, 1))

    assert isinstance(reserved, Booking) and reserved.levels[0].reserved == 4
    assert isinstance(issued, Booking)
    assert (issued.levels[0].on_hand, issued.levels[0].reserved) == (3, 1)
    assert isinstance(released, Booking) and released.levels[0].available == 3
    async with parts_pool.connection() as conn:
        assert await stock_store.unbalanced_levels(conn) == []
        entries = await stock_store.ledger(conn, ticket_id=ticket)
    assert [e.kind for e in entries] == [K.RELEASE, K.ISSUE, K.RESERVATION]
    assert {e.actor for e in entries} == {"demo-parts"}


async def test_a_refused_movement_writes_nothing(parts_pool: Pool) -> None:
    ticket = await _ticket(parts_pool)
    async with parts_pool.connection() as conn:
        before = len(await stock_store.ledger(conn))

    refused = await _book(
        parts_pool,
        MovementRequest(K.ISSUE, "regional-hamburg", "FIL12-VALVE-SEAL", 7, ticket_id=ticket),
    )

    assert isinstance(refused, Refusal) and "not enough stock" in refused.message
    assert "has 6 available" in refused.message
    async with parts_pool.connection() as conn:
        assert len(await stock_store.ledger(conn)) == before


async def test_an_emergency_transfer_moves_a_serial_between_stores(parts_pool: Pool) -> None:
    async with parts_pool.connection() as conn:
        (unit,) = [
            e.serial
            for e in await stock_store.ledger(
                conn, store_id="regional-hamburg", part_number="FIL12-BRG-KIT"
            )
        ]
    assert unit is not None
    booked = await _book(
        parts_pool,
        MovementRequest(
            K.TRANSFER_OUT,
            "regional-hamburg",
            "FIL12-BRG-KIT",
            1,
            serial=unit,
            to_store_id="van-demo-field-1",
            emergency=True,
            reason="line 1 filler bearing",
        ),
    )

    assert isinstance(booked, Booking)
    assert [(e.kind, e.store_id, e.counterpart_store_id, e.emergency) for e in booked.entries] == [
        (K.TRANSFER_OUT, "regional-hamburg", "van-demo-field-1", True),
        (K.TRANSFER_IN, "van-demo-field-1", "regional-hamburg", True),
    ]
    async with parts_pool.connection() as conn:
        status = await stock_store.get_serial(conn, part_number="FIL12-BRG-KIT", serial=unit)
    assert status is not None and status.store_id == "van-demo-field-1"


async def test_two_people_issuing_the_last_unit_cannot_both_succeed(parts_pool: Pool) -> None:
    ticket_a, ticket_b = await _ticket(parts_pool), await _ticket(parts_pool)
    store, clutch = "central", "CAP6-TORQUE-CLUTCH"
    assert (await _level(parts_pool, store, clutch)).on_hand == 1
    async with parts_pool.connection() as conn:
        (serial,) = [
            e.serial for e in await stock_store.ledger(conn, store_id=store, part_number=clutch)
        ]

    def issue(ticket: int) -> MovementRequest:
        return MovementRequest(K.ISSUE, store, clutch, 1, ticket_id=ticket, serial=serial)

    first_booked = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> Booking:
        async with parts_pool.connection() as conn, conn.transaction():
            booking = await stock_commands.book_in_transaction(
                conn,
                request=issue(ticket_a),
                actor="demo-field-1",
                at=AT,
            )
            first_booked.set()
            await release_first.wait()  # holds the row lock while the second one tries
            return booking

    async def second() -> Booking | Refusal:
        await first_booked.wait()
        async with parts_pool.connection() as conn:
            return await stock_commands.book_movement(
                conn,
                request=issue(ticket_b),
                actor="demo-field-3",
                at=AT,
            )

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_booked.wait()
    await asyncio.sleep(0.3)
    assert not second_task.done()  # it waits on the level's lock, not on stale numbers
    release_first.set()
    winner, loser = await first_task, await second_task

    assert winner.levels[0].on_hand == 0
    assert isinstance(loser, Refusal) and "has 0 available" in loser.message
    assert (await _level(parts_pool, store, clutch)).on_hand == 0


async def test_many_racing_issues_of_the_last_units_issue_exactly_the_stock(
    parts_pool: Pool,
) -> None:
    tickets = [await _ticket(parts_pool) for _ in range(6)]
    on_hand = (await _level(parts_pool, "van-demo-field-2", "SENS-PHOTO-WL12")).on_hand

    results = await asyncio.gather(
        *(
            _book(
                parts_pool,
                MovementRequest(K.ISSUE, "van-demo-field-2", "SENS-PHOTO-WL12", 1, ticket_id=t),
            )
            for t in tickets
        )
    )

    assert sum(isinstance(r, Booking) for r in results) == on_hand == 2
    assert (await _level(parts_pool, "van-demo-field-2", "SENS-PHOTO-WL12")).on_hand == 0


async def test_the_tables_refuse_negative_stock_and_ledger_edits(parts_pool: Pool) -> None:
    async with parts_pool.connection() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute(
                "UPDATE stock_levels SET on_hand = on_hand - 100 WHERE store_id = 'central'"
            )
        await conn.rollback()
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute(
                "UPDATE stock_levels SET reserved = on_hand + 1 WHERE store_id = 'central'"
            )
        await conn.rollback()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            await conn.execute("DELETE FROM stock_movements")
        await conn.rollback()


async def test_one_new_serial_received_in_two_stores_at_once_is_received_once(
    parts_pool: Pool,
) -> None:
    def receipt(store: str) -> MovementRequest:
        return MovementRequest(K.RECEIPT, store, "CAP6-CHUCK", 1, serial="CHK-NEW")

    first_booked, release_first = asyncio.Event(), asyncio.Event()

    async def first() -> Booking:
        async with parts_pool.connection() as conn, conn.transaction():
            booking = await stock_commands.book_in_transaction(
                conn, request=receipt("central"), actor="demo-parts", at=AT
            )
            first_booked.set()
            await release_first.wait()  # the unit is not committed yet
            return booking

    first_task = asyncio.create_task(first())
    await first_booked.wait()
    second_task = asyncio.create_task(_book(parts_pool, receipt("regional-zurich")))
    await asyncio.sleep(0.3)
    assert not second_task.done()  # it waits on the unit's lock (another store's level)
    release_first.set()
    await first_task
    second = await second_task

    assert isinstance(second, Refusal) and "known already" in second.message
    async with parts_pool.connection() as conn:
        assert await stock_store.unbalanced_levels(conn) == []
        status = await stock_store.get_serial(conn, part_number="CAP6-CHUCK", serial="CHK-NEW")
    assert status is not None and status.store_id == "central"
