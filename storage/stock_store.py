"""Stores, stock levels and the stock ledger in the database; booking movements.

Booking a movement locks the stock levels it touches (``FOR UPDATE``, in store
order, so two transfers never deadlock), asks ``parts.ledger_rules`` what it may
do, then writes the ledger entry and the new level in the same transaction. Two
people taking the last unit queue on the level's row lock: the second sees the
first's booking and is refused. The table's checks stay as the last guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from parts.ledger_rules import (
    Balance,
    Refusal,
    check_request,
    deltas_for,
    incoming_deltas,
    next_serial_status,
)
from storage.connections import Connection

_STORE_COLUMNS = "id, name, kind, region, owner_login"
_LEVEL_COLUMNS = "store_id, part_number, on_hand, reserved, faulty, safety_stock, reorder_point"
_ENTRY_COLUMNS = (
    "id, kind, store_id, part_number, quantity, on_hand_delta, reserved_delta, faulty_delta,"
    " at, actor, ticket_id, serial, reason, counterpart_store_id, emergency, requisition_id"
)
_SERIAL_COLUMNS = "part_number, serial, state, store_id, ticket_id, machine_id, position"


class Refused(Exception):
    """Raised inside a booking transaction so that it rolls back; carries the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class Booking:
    """The entries a movement wrote (two for a transfer) and the levels after it."""

    entries: tuple[LedgerEntry, ...]
    levels: tuple[StockLevel, ...]


# Stores ---------------------------------------------------------------------------------


async def list_stores(conn: Connection) -> list[Store]:
    """Central first, then regional, then vans; by name within each kind."""
    cursor = await conn.execute(
        f"""
        SELECT {_STORE_COLUMNS} FROM stores
        ORDER BY array_position(ARRAY['central', 'regional', 'van'], kind), name
        """
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
    conn: Connection, *, store_id: str | None = None, part_number: str | None = None
) -> list[StockLevel]:
    """Levels by store and part, optionally of one store or one part."""
    cursor = await conn.execute(
        f"""
        SELECT {_LEVEL_COLUMNS} FROM stock_levels
        WHERE (%(store)s::text IS NULL OR store_id = %(store)s)
          AND (%(part)s::text IS NULL OR part_number = %(part)s)
        ORDER BY store_id, part_number
        """,
        {"store": store_id, "part": part_number},
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


async def low_stock(conn: Connection, *, store_id: str | None = None) -> list[LowStockWarning]:
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
        """,
        {"store": store_id},
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
) -> list[LedgerEntry]:
    """Ledger entries, newest first, filtered by any of store, part, ticket and serial."""
    cursor = await conn.execute(
        f"""
        SELECT {_ENTRY_COLUMNS} FROM stock_movements
        WHERE (%(store)s::text IS NULL OR store_id = %(store)s)
          AND (%(part)s::text IS NULL OR part_number = %(part)s)
          AND (%(ticket)s::bigint IS NULL OR ticket_id = %(ticket)s)
          AND (%(serial)s::text IS NULL OR serial = %(serial)s)
        ORDER BY id DESC LIMIT %(limit)s
        """,
        {
            "store": store_id,
            "part": part_number,
            "ticket": ticket_id,
            "serial": serial,
            "limit": limit,
        },
    )
    return [_entry(row) for row in await cursor.fetchall()]


async def book_movement(
    conn: Connection,
    *,
    request: MovementRequest,
    actor: str,
    at: datetime,
    requisition_id: int | None = None,
) -> Booking | Refusal:
    """Book one movement in its own transaction, or say why not (nothing is written)."""
    try:
        async with conn.transaction():
            return await book_in_transaction(
                conn, request=request, actor=actor, at=at, requisition_id=requisition_id
            )
    except Refused as refused:
        return refused.refusal


async def book_in_transaction(
    conn: Connection,
    *,
    request: MovementRequest,
    actor: str,
    at: datetime,
    requisition_id: int | None = None,
) -> Booking:
    """Book one movement inside the caller's transaction; raises ``Refused``."""
    serialized = await _serialized(conn, request.part_number)
    _refuse_if(check_request(request, serialized=serialized))
    await _check_references(conn, request)
    store_ids = sorted({request.store_id, request.to_store_id or request.store_id})
    levels = {sid: await _lock_level(conn, sid, request.part_number) for sid in store_ids}
    held = await _ticket_reserved(conn, request)
    source = levels[request.store_id]
    balance = Balance(source.on_hand, source.reserved, source.faulty, ticket_reserved=held)
    deltas = deltas_for(request, balance)
    _refuse_if(deltas if isinstance(deltas, Refusal) else None)
    assert isinstance(deltas, Deltas)
    if serialized and request.serial is not None:  # reservations are counted, not named
        await _move_serial(conn, request, at)
    row = _Row(request, actor, at, requisition_id)
    entries = [await _append(conn, row, request.kind, request.store_id, deltas)]
    after = [await _apply(conn, request.store_id, request.part_number, deltas)]
    if request.to_store_id is not None:
        incoming = incoming_deltas(request)
        transfer_in = row.incoming()
        entries.append(
            await _append(
                conn, transfer_in, MovementKind.TRANSFER_IN, request.to_store_id, incoming
            )
        )
        after.append(await _apply(conn, request.to_store_id, request.part_number, incoming))
    return Booking(tuple(entries), tuple(after))


def _refuse_if(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise Refused(refusal)


async def _serialized(conn: Connection, part_number: str) -> bool:
    cursor = await conn.execute(
        "SELECT serialized FROM parts WHERE part_number = %s", (part_number,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise Refused(Refusal(f"there is no part {part_number} in the catalogue"))
    return bool(row[0])


async def _check_references(conn: Connection, request: MovementRequest) -> None:
    for store_id in filter(None, (request.store_id, request.to_store_id)):
        if await get_store(conn, store_id=store_id) is None:
            raise Refused(Refusal(f"there is no store {store_id}"))
    if request.ticket_id is not None:
        cursor = await conn.execute("SELECT 1 FROM tickets WHERE id = %s", (request.ticket_id,))
        if await cursor.fetchone() is None:
            raise Refused(Refusal(f"there is no ticket {request.ticket_id}"))


async def _lock_level(conn: Connection, store_id: str, part_number: str) -> StockLevel:
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


async def _ticket_reserved(conn: Connection, request: MovementRequest) -> int:
    """What the request's ticket holds reserved of the part in the store (read under the lock)."""
    if request.ticket_id is None:
        return 0
    cursor = await conn.execute(
        "SELECT coalesce(sum(reserved_delta), 0) FROM stock_movements"
        " WHERE store_id = %s AND part_number = %s AND ticket_id = %s",
        (request.store_id, request.part_number, request.ticket_id),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _move_serial(conn: Connection, request: MovementRequest, at: datetime) -> None:
    assert request.serial is not None
    current = await lock_serial(conn, part_number=request.part_number, serial=request.serial)
    moved = next_serial_status(request, current)
    _refuse_if(moved if isinstance(moved, Refusal) else None)
    assert isinstance(moved, SerialStatus)
    await save_serial(conn, status=moved, at=at)


async def _apply(conn: Connection, store_id: str, part_number: str, deltas: Deltas) -> StockLevel:
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
    assert row is not None  # the level was locked above
    return _level(row)


@dataclass(frozen=True, slots=True)
class _Row:
    """The parts of a ledger row common to both halves of a transfer."""

    request: MovementRequest
    actor: str
    at: datetime
    requisition_id: int | None
    counterpart: str | None = None

    def incoming(self) -> _Row:
        """The destination's half of a transfer: its counterpart is the source."""
        return _Row(
            self.request,
            self.actor,
            self.at,
            self.requisition_id,
            counterpart=self.request.store_id,
        )


async def _append(
    conn: Connection, row: _Row, kind: MovementKind, store_id: str, deltas: Deltas
) -> LedgerEntry:
    request = row.request
    counterpart = row.counterpart if kind is MovementKind.TRANSFER_IN else request.to_store_id
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
            row.at,
            row.actor,
            request.ticket_id,
            request.serial,
            request.reason,
            counterpart,
            request.emergency,
            row.requisition_id,
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
    """Where the unit is now, locked until the transaction ends; None if never seen."""
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
