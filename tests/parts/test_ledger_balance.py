"""Over random movement sequences booked in the real database, every level equals the sum
of its ledger entries, nothing goes negative, and reservations stay within the stock."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import stock_commands
from models.stock import MovementKind, MovementRequest, Store, StoreKind
from storage import stock_store
from storage.connections import Pool
from tests.api.factories import insert_ticket
from tests.parts.conftest import SEEDED_AT
from tests.parts.movement_strategies import movements

pytestmark = pytest.mark.integration
_runs = itertools.count()
K = MovementKind


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests=movements(part_number="SENS-PX-M18"))
async def test_random_bookings_keep_the_books_balanced(
    parts_pool: Pool, requests: list[MovementRequest]
) -> None:
    run = next(_runs)
    stores = {name: f"prop-{run}-{name}" for name in ("a", "b")}
    async with parts_pool.connection() as conn:
        for store_id in stores.values():
            await stock_store.save_store(
                conn, store=Store(store_id, store_id, StoreKind.REGIONAL, "test")
            )
        tickets = {
            n: await insert_ticket(
                conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
            )
            for n in (1, 2)
        }
        await conn.commit()
        for step, request in enumerate(requests):
            mapped = replace(
                request,
                store_id=stores[request.store_id],
                to_store_id=stores[request.to_store_id] if request.to_store_id else None,
                ticket_id=tickets[request.ticket_id] if request.ticket_id else None,
            )
            await stock_commands.book_movement(
                conn, request=mapped, actor="prop", at=SEEDED_AT + timedelta(minutes=step)
            )
        assert await stock_store.unbalanced_levels(conn) == []
        cursor = await conn.execute(
            """
            SELECT coalesce(min(held), 0) FROM (
                SELECT sum(reserved_delta) AS held FROM stock_movements
                WHERE ticket_id IS NOT NULL GROUP BY store_id, part_number, ticket_id) t
            """
        )
        row = await cursor.fetchone()
        assert row is not None and row[0] >= 0
        for level in await stock_store.stock_levels(conn, part_number="SENS-PX-M18"):
            assert level.on_hand >= 0 and level.faulty >= 0
            assert 0 <= level.reserved <= level.on_hand


# Issues and returns weigh more: they open the paths to repair, scrap and faulty transfers.
_UNIT_KINDS = (K.ISSUE, K.ISSUE, K.RETURN, K.RETURN, K.RETURN, K.REPAIR, K.SCRAP, K.TRANSFER_OUT)
_OPENING = [
    MovementRequest(K.RECEIPT, "a", "FIL12-BRG-KIT", 1, serial=serial) for serial in ("S1", "S2")
]


@st.composite
def _unit_movement(draw: st.DrawFn) -> MovementRequest:
    kind = draw(st.sampled_from(_UNIT_KINDS))
    store = draw(st.sampled_from(("a", "b")))
    return MovementRequest(
        kind=kind,
        store_id=store,
        part_number="FIL12-BRG-KIT",
        quantity=1,
        ticket_id=draw(st.sampled_from((1, 2))) if kind is not K.RECEIPT else None,
        serial=draw(st.sampled_from(("S1", "S2"))),
        reason="because",
        faulty=draw(st.booleans()),
        to_store_id=("b" if store == "a" else "a") if kind is K.TRANSFER_OUT else None,
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests=st.lists(_unit_movement(), min_size=5, max_size=30).map(lambda m: _OPENING + m))
async def test_serialized_units_in_a_store_are_its_stock(
    parts_pool: Pool, requests: list[MovementRequest]
) -> None:
    run = next(_runs)
    stores = {name: f"unit-{run}-{name}" for name in ("a", "b")}
    async with parts_pool.connection() as conn:
        for store_id in stores.values():
            await stock_store.save_store(
                conn, store=Store(store_id, store_id, StoreKind.REGIONAL, "test")
            )
        tickets = {
            n: await insert_ticket(
                conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
            )
            for n in (1, 2)
        }
        await conn.commit()
        for step, request in enumerate(requests):
            mapped = replace(
                request,
                store_id=stores[request.store_id],
                to_store_id=stores[request.to_store_id] if request.to_store_id else None,
                ticket_id=tickets[request.ticket_id] if request.ticket_id else None,
                serial=f"{run}-{request.serial}",
            )
            await stock_commands.book_movement(
                conn, request=mapped, actor="prop", at=SEEDED_AT + timedelta(minutes=step)
            )
        assert await stock_store.unbalanced_levels(conn) == []
        cursor = await conn.execute(
            """
            SELECT l.store_id, l.on_hand, l.faulty,
                (SELECT count(*) FROM part_serials s WHERE s.part_number = l.part_number
                   AND s.store_id = l.store_id AND s.state = 'in_store'),
                (SELECT count(*) FROM part_serials s WHERE s.part_number = l.part_number
                   AND s.store_id = l.store_id AND s.state = 'faulty_in_store')
            FROM stock_levels l WHERE l.part_number = 'FIL12-BRG-KIT' AND l.store_id = ANY(%s)
            """,
            (list(stores.values()),),
        )
        for store_id, on_hand, faulty, units, faulty_units in await cursor.fetchall():
            assert (on_hand, faulty) == (units, faulty_units), store_id
