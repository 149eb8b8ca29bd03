"""Stores, stock levels and the stock ledger in the database; booking movements.

Booking a movement locks the stock levels it touches (``FOR UPDATE``, in store
order, so two transfers never deadlock), asks ``alerts.stock_ledger_rules`` what it may
do, then writes the ledger entry and the new level in the same transaction. Two
people taking the last unit queue on the level's row lock: the second sees the
first's booking and is refused. The table's checks stay as the last guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.stock import (
    Deltas,
    LedgerEntry,
    LowStockWarning,
    MovementKind,
    MovementRequest,
    SerialState,
    SerialStatus,
    StockLevel,
    Store,
    StoreKind,
)
from storage.connections import Connection

_STORE_COLUMNS = "id, name, kind, region, owner_login"
_LEVEL_COLUMNS = "store_id, part_number, on_hand, reserved, faulty, safety_stock, reorder_point"
_ENTRY_COLUMNS = (
    "id, kind, store_id, part_number, quantity, on_hand_delta, reserved_delta, faulty_delta,"
    " at, actor, ticket_id, serial, reason, counterpart_store_id, emergency, requisition_id"
)
_SERIAL_COLUMNS = "part_number, serial, state, store_id, ticket_id, machine_id, position"


# Stores ---------------------------------------------------------------------------------


async def list_stores(
    conn: Connection,
    *,
    kind: StoreKind | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Store]:
    """Central first, then regional, then vans; by name within each kind; ``kind``: only
    those. ``limit`` None: every store."""
    cursor = await conn.execute(
        f"""
        SELECT {_STORE_COLUMNS} FROM stores
        WHERE %(kind)s::text IS NULL OR kind = %(kind)s
        ORDER BY array_position(ARRAY['central', 'regional', 'van'], kind), name, id
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"kind": kind.value if kind else None, "limit": limit, "offset": offset},
    )
    return [_store(row) for row in await cursor.fetchall()]


async def get_store(conn: Connection, *, store_id: str) -> Store | None:
    cursor = await conn.execute(f"SELECT {_STORE_COLUMNS} FROM stores WHERE id = %s", (store_id,))
    row = await cursor.fetchone()
    return _store(row) if row else None


async def van_of(conn: Connection, *, login: str) -> Store | None:
    """The van a field engineer drives, if they have one."""
    cursor = await conn.execute(
        f"SELECT {_STORE_COLUMNS} FROM stores WHERE owner_login = %s", (login,)
    )
    row = await cursor.fetchone()
    return _store(row) if row else None


async def save_store(conn: Connection, *, store: Store) -> Store:
    """Add the store or change its name, region and owner (its kind stays)."""
    await conn.execute(
        """
        INSERT INTO stores (id, name, kind, region, owner_login) VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,
            owner_login = EXCLUDED.owner_login
        """,
        (store.id, store.name, store.kind.value, store.region, store.owner_login),
    )
    return store


def _store(row: tuple[Any, ...]) -> Store:
    return Store(id=row[0], name=row[1], kind=StoreKind(row[2]), region=row[3], owner_login=row[4])


# Levels ---------------------------------------------------------------------------------


async def stock_levels(
    conn: Connection,
    *,
    store_id: str | None = None,
    part_number: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StockLevel]:
    """Levels by store and part, optionally of one store or one part; ``limit`` None: all."""
    cursor = await conn.execute(
        f"""
        SELECT {_LEVEL_COLUMNS} FROM stock_levels
        WHERE (%(store)s::text IS NULL OR store_id = %(store)s)
          AND (%(part)s::text IS NULL OR part_number = %(part)s)
        ORDER BY store_id, part_number
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"store": store_id, "part": part_number, "limit": limit, "offset": offset},
    )
    return [_level(row) for row in await cursor.fetchall()]


async def set_thresholds(
    conn: Connection, *, store_id: str, part_number: str, safety_stock: int, reorder_point: int
) -> StockLevel:
    """Set a part's safety stock and reorder point in a store (the level may be new)."""
    cursor = await conn.execute(
        f"""
        INSERT INTO stock_levels (store_id, part_number, safety_stock, reorder_point)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (store_id, part_number) DO UPDATE SET
            safety_stock = EXCLUDED.safety_stock, reorder_point = EXCLUDED.reorder_point
        RETURNING {_LEVEL_COLUMNS}
        """,
        (store_id, part_number, safety_stock, reorder_point),
    )
    row = await cursor.fetchone()
    assert row is not None  # RETURNING always yields the row it wrote
    return _level(row)


async def low_stock(
    conn: Connection, *, store_id: str | None = None, limit: int | None = None, offset: int = 0
) -> list[LowStockWarning]:
    """Levels below their safety stock, with the open requisition for each, if any."""
    cursor = await conn.execute(
        f"""
        SELECT {_LEVEL_COLUMNS},
            (SELECT min(r.id) FROM requisitions r
             WHERE r.store_id = l.store_id AND r.part_number = l.part_number
               AND r.status IN ('pending', 'ordered'))
        FROM stock_levels l
        WHERE on_hand < safety_stock AND (%(store)s::text IS NULL OR store_id = %(store)s)
        ORDER BY store_id, part_number
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"store": store_id, "limit": limit, "offset": offset},
    )
    return [LowStockWarning(_level(row[:7]), row[7]) for row in await cursor.fetchall()]


def _level(row: tuple[Any, ...]) -> StockLevel:
    return StockLevel(*row[:7])


# The ledger -----------------------------------------------------------------------------


async def ledger(
    conn: Connection,
    *,
    store_id: str | None = None,
    part_number: str | None = None,
    ticket_id: int | None = None,
    serial: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[LedgerEntry]:
    """Ledger entries, newest first, filtered by any of store, part, ticket and serial."""
    cursor = await conn.execute(
        f"""
        SELECT {_ENTRY_COLUMNS} FROM stock_movements
        WHERE (%(store)s::text IS NULL OR store_id = %(store)s)
          AND (%(part)s::text IS NULL OR part_number = %(part)s)
          AND (%(ticket)s::bigint IS NULL OR ticket_id = %(ticket)s)
          AND (%(serial)s::text IS NULL OR serial = %(serial)s)
        ORDER BY id DESC LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            "store": store_id,
            "part": part_number,
            "ticket": ticket_id,
            "serial": serial,
            "limit": limit,
            "offset": offset,
        },
    )
    return [_entry(row) for row in await cursor.fetchall()]


async def is_serialized(conn: Connection, *, part_number: str) -> bool | None:
    """Whether the catalogue part is serialized; None when there is no such part."""
    cursor = await conn.execute(
        "SELECT serialized FROM parts WHERE part_number = %s", (part_number,)
    )
    row = await cursor.fetchone()
    return None if row is None else bool(row[0])


async def ticket_exists(conn: Connection, *, ticket_id: int) -> bool:
    cursor = await conn.execute("SELECT 1 FROM tickets WHERE id = %s", (ticket_id,))
    return await cursor.fetchone() is not None


async def lock_level(conn: Connection, *, store_id: str, part_number: str) -> StockLevel:
    """The level, created empty if new, locked until the transaction ends: whoever books on
    it next waits, then reads what this transaction booked."""
    await conn.execute(
        "INSERT INTO stock_levels (store_id, part_number) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (store_id, part_number),
    )
    cursor = await conn.execute(
        f"SELECT {_LEVEL_COLUMNS} FROM stock_levels"
        " WHERE store_id = %s AND part_number = %s FOR UPDATE",
        (store_id, part_number),
    )
    row = await cursor.fetchone()
    assert row is not None  # inserted just above if it was missing
    return _level(row)


async def ticket_reserved(
    conn: Connection, *, store_id: str, part_number: str, ticket_id: int
) -> int:
    """What the ticket holds reserved of the part in the store (read it under the level's lock)."""
    cursor = await conn.execute(
        "SELECT coalesce(sum(reserved_delta), 0) FROM stock_movements"
        " WHERE store_id = %s AND part_number = %s AND ticket_id = %s",
        (store_id, part_number, ticket_id),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_deltas(
    conn: Connection, *, store_id: str, part_number: str, deltas: Deltas
) -> StockLevel:
    """Add a booked entry's deltas to its (locked) level; the level after it."""
    cursor = await conn.execute(
        f"""
        UPDATE stock_levels SET on_hand = on_hand + %s, reserved = reserved + %s,
            faulty = faulty + %s
        WHERE store_id = %s AND part_number = %s
        RETURNING {_LEVEL_COLUMNS}
        """,
        (deltas.on_hand, deltas.reserved, deltas.faulty, store_id, part_number),
    )
    row = await cursor.fetchone()
    assert row is not None  # the caller locked (and so created) the level
    return _level(row)


async def append_entry(
    conn: Connection,
    *,
    kind: MovementKind,
    request: MovementRequest,
    store_id: str,
    deltas: Deltas,
    counterpart_store_id: str | None,
    actor: str,
    at: datetime,
    requisition_id: int | None,
) -> LedgerEntry:
    """Write one ledger row for the request, in ``store_id`` with these deltas."""
    cursor = await conn.execute(
        f"""
        INSERT INTO stock_movements (kind, store_id, part_number, quantity, on_hand_delta,
            reserved_delta, faulty_delta, at, actor, ticket_id, serial, reason,
            counterpart_store_id, emergency, requisition_id)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING {_ENTRY_COLUMNS}
        """,
        (
            kind.value,
            store_id,
            request.part_number,
            request.quantity,
            deltas.on_hand,
            deltas.reserved,
            deltas.faulty,
            at,
            actor,
            request.ticket_id,
            request.serial,
            request.reason,
            counterpart_store_id,
            request.emergency,
            requisition_id,
        ),
    )
    written = await cursor.fetchone()
    assert written is not None
    return _entry(written)


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    return LedgerEntry(
        id=row[0],
        kind=MovementKind(row[1]),
        store_id=row[2],
        part_number=row[3],
        quantity=row[4],
        deltas=Deltas(on_hand=row[5], reserved=row[6], faulty=row[7]),
        at=row[8],
        actor=row[9],
        ticket_id=row[10],
        serial=row[11],
        reason=row[12],
        counterpart_store_id=row[13],
        emergency=row[14],
        requisition_id=row[15],
    )


# Serialized units -----------------------------------------------------------------------


async def lock_serial(conn: Connection, *, part_number: str, serial: str) -> SerialStatus | None:
    """Where the unit is now, locked until the transaction ends; None if never seen.

    The unit's number is locked too, so two stores receiving one new serial at once
    cannot both succeed: the second waits, then finds the unit known.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"serial/{part_number}/{serial}",)
    )
    cursor = await conn.execute(
        f"SELECT {_SERIAL_COLUMNS} FROM part_serials"
        " WHERE part_number = %s AND serial = %s FOR UPDATE",
        (part_number, serial),
    )
    row = await cursor.fetchone()
    return _serial(row) if row else None


async def get_serial(conn: Connection, *, part_number: str, serial: str) -> SerialStatus | None:
    cursor = await conn.execute(
        f"SELECT {_SERIAL_COLUMNS} FROM part_serials WHERE part_number = %s AND serial = %s",
        (part_number, serial),
    )
    row = await cursor.fetchone()
    return _serial(row) if row else None


async def save_serial(conn: Connection, *, status: SerialStatus, at: datetime) -> None:
    await conn.execute(
        f"""
        INSERT INTO part_serials ({_SERIAL_COLUMNS}, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (part_number, serial) DO UPDATE SET state = EXCLUDED.state,
            store_id = EXCLUDED.store_id, ticket_id = EXCLUDED.ticket_id,
            machine_id = EXCLUDED.machine_id, position = EXCLUDED.position,
            updated_at = EXCLUDED.updated_at
        """,
        (
            status.part_number,
            status.serial,
            status.state.value,
            status.store_id,
            status.ticket_id,
            status.machine_id,
            status.position,
            at,
        ),
    )


async def serial_entries(conn: Connection, *, part_number: str, serial: str) -> list[LedgerEntry]:
    """The unit's ledger entries, oldest first."""
    cursor = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM stock_movements"
        " WHERE part_number = %s AND serial = %s ORDER BY id",
        (part_number, serial),
    )
    return [_entry(row) for row in await cursor.fetchall()]


def _serial(row: tuple[Any, ...]) -> SerialStatus:
    return SerialStatus(
        part_number=row[0],
        serial=row[1],
        state=SerialState(row[2]),
        store_id=row[3],
        ticket_id=row[4],
        machine_id=row[5],
        position=row[6],
    )


async def unbalanced_levels(conn: Connection) -> list[tuple[str, str]]:
    """Levels that differ from the sum of their ledger entries (should always be none)."""
    cursor = await conn.execute(
        """
        SELECT l.store_id, l.part_number FROM stock_levels l
        LEFT JOIN (
            SELECT store_id, part_number, sum(on_hand_delta) AS on_hand,
                sum(reserved_delta) AS reserved, sum(faulty_delta) AS faulty
            FROM stock_movements GROUP BY store_id, part_number
        ) m USING (store_id, part_number)
        WHERE l.on_hand <> coalesce(m.on_hand, 0) OR l.reserved <> coalesce(m.reserved, 0)
           OR l.faulty <> coalesce(m.faulty, 0)
        ORDER BY 1, 2
        """
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def entries_by_id(conn: Connection, *, entry_ids: Sequence[int]) -> list[LedgerEntry]:
    """These ledger entries, in booking order."""
    cursor = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM stock_movements WHERE id = ANY(%s) ORDER BY id",
        (list(entry_ids),),
    )
    return [_entry(row) for row in await cursor.fetchall()]
