"""The parts catalogue and the installed base in the database.

A part's fits are replaced whole with the part. The installed base keeps one
current part per machine position; a removal closes the row (who, when, on which
ticket and why) so the machine's history stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.parts import CatalogueEntry, InstalledPart, Money, Part, PartClass, PartFit
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_PART_COLUMNS = (
    "part_number, description, part_class, serialized, unit_cost, currency, supplier,"
    " lead_time_days, updated_at, updated_by"
)
_INSTALLED_COLUMNS = (
    "machine_id, position, part_number, serial, quantity, installed_at, installed_on_ticket,"
    " removed_at, removed_on_ticket, removal_reason"
)


async def list_parts(
    conn: Connection,
    *,
    machine_model: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[CatalogueEntry]:
    """The catalogue by part number; with ``machine_model``, only the parts that fit it.
    ``limit`` None: every part."""
    cursor = await conn.execute(
        f"""
        SELECT {_PART_COLUMNS} FROM parts p
        WHERE %(model)s::text IS NULL OR EXISTS (
            SELECT 1 FROM part_fits f
            WHERE f.part_number = p.part_number AND f.machine_model = %(model)s)
        ORDER BY part_number
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"model": machine_model, "limit": limit, "offset": offset},
    )
    rows = await cursor.fetchall()
    fits = await _fits(conn, part_numbers=[row[0] for row in rows])
    return [_entry(row, fits.get(row[0], ())) for row in rows]


async def get_part(conn: Connection, *, part_number: str) -> CatalogueEntry | None:
    cursor = await conn.execute(
        f"SELECT {_PART_COLUMNS} FROM parts WHERE part_number = %s", (part_number,)
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    fits = await _fits(conn, part_numbers=[part_number])
    return _entry(row, fits.get(part_number, ()))


async def parts_by_number(conn: Connection, *, part_numbers: Sequence[str]) -> dict[str, Part]:
    """The catalogue parts among ``part_numbers``, by number."""
    cursor = await conn.execute(
        f"SELECT {_PART_COLUMNS} FROM parts WHERE part_number = ANY(%s)", (list(part_numbers),)
    )
    rows = await cursor.fetchall()
    fits = await _fits(conn, part_numbers=[row[0] for row in rows])
    return {row[0]: _entry(row, fits.get(row[0], ())).part for row in rows}


async def create_part(
    conn: Connection, *, part: Part, by: str, at: datetime
) -> CatalogueEntry | None:
    """Add a part; None when the part number is taken."""
    async with conn.transaction():
        cursor = await conn.execute(
            f"""
            INSERT INTO parts ({_PART_COLUMNS})
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (part_number) DO NOTHING RETURNING part_number
            """,
            _part_values(part, by, at),
        )
        if await cursor.fetchone() is None:
            return None
        await _replace_fits(conn, part)
    return CatalogueEntry(part, at, by)


async def save_part(conn: Connection, *, part: Part, by: str, at: datetime) -> CatalogueEntry:
    """Add the part or replace it whole, fits included."""
    async with conn.transaction():
        await conn.execute(
            f"""
            INSERT INTO parts ({_PART_COLUMNS})
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (part_number) DO UPDATE SET
                description = EXCLUDED.description, part_class = EXCLUDED.part_class,
                serialized = EXCLUDED.serialized, unit_cost = EXCLUDED.unit_cost,
                currency = EXCLUDED.currency, supplier = EXCLUDED.supplier,
                lead_time_days = EXCLUDED.lead_time_days, updated_at = EXCLUDED.updated_at,
                updated_by = EXCLUDED.updated_by
            """,
            _part_values(part, by, at),
        )
        await _replace_fits(conn, part)
    return CatalogueEntry(part, at, by)


async def import_catalogue(
    conn: Connection, *, parts: Sequence[Part], by: str, at: datetime
) -> int:
    """Add or replace every part in one transaction; the count saved."""
    async with conn.transaction():
        for part in parts:
            await save_part(conn, part=part, by=by, at=at)
    return len(parts)


async def has_stock_history(conn: Connection, *, part_number: str) -> bool:
    """Whether the part was ever booked or installed (then it cannot change being serialized)."""
    cursor = await conn.execute(
        """
        SELECT EXISTS (SELECT 1 FROM stock_movements WHERE part_number = %(p)s)
            OR EXISTS (SELECT 1 FROM installed_parts WHERE part_number = %(p)s)
        """,
        {"p": part_number},
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _replace_fits(conn: Connection, part: Part) -> None:
    await conn.execute("DELETE FROM part_fits WHERE part_number = %s", (part.part_number,))
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO part_fits (part_number, machine_model, position) VALUES (%s, %s, %s)",
            [(part.part_number, fit.machine_model, fit.position) for fit in part.fits],
        )


async def _fits(conn: Connection, *, part_numbers: Sequence[str]) -> dict[str, tuple[PartFit, ...]]:
    cursor = await conn.execute(
        "SELECT part_number, machine_model, position FROM part_fits"
        " WHERE part_number = ANY(%s) ORDER BY part_number, machine_model, position",
        (list(part_numbers),),
    )
    found: dict[str, list[PartFit]] = defaultdict(list)
    for part_number, model, position in await cursor.fetchall():
        found[part_number].append(PartFit(model, position))
    return {number: tuple(fits) for number, fits in found.items()}


def _part_values(part: Part, by: str, at: datetime) -> tuple[Any, ...]:
    return (
        part.part_number,
        part.description,
        part.part_class.value,
        part.serialized,
        part.unit_cost.amount,
        part.unit_cost.currency,
        part.supplier,
        part.lead_time_days,
        at,
        by,
    )


def _entry(row: tuple[Any, ...], fits: tuple[PartFit, ...]) -> CatalogueEntry:
    amount: Decimal = row[4]
    part = Part(
        part_number=row[0],
        description=row[1],
        part_class=PartClass(row[2]),
        serialized=row[3],
        unit_cost=Money(amount, row[5]),
        supplier=row[6],
        lead_time_days=row[7],
        fits=fits,
    )
    return CatalogueEntry(part=part, updated_at=row[8], updated_by=row[9])


async def installed_parts(
    conn: Connection,
    *,
    machine_id: str,
    with_history: bool = False,
    scope: CustomerScope,
) -> list[InstalledPart]:
    """What is in the machine now, by position; with history also what came out, newest last.
    Nothing for a machine outside the scope."""
    cursor = await conn.execute(
        f"""
        SELECT {_INSTALLED_COLUMNS} FROM installed_parts
        WHERE machine_id = %(machine)s AND (%(history)s OR removed_at IS NULL)
          AND {scope_filter("machine", "machine_id")}
        ORDER BY position, installed_at, id
        """,
        {"machine": machine_id, "history": with_history, **scope.params},
    )
    return [_installed(row) for row in await cursor.fetchall()]


async def equipped_machines(conn: Connection) -> set[str]:
    """The machines that have an installed base (current or past)."""
    cursor = await conn.execute("SELECT DISTINCT machine_id FROM installed_parts")
    return {str(row[0]) for row in await cursor.fetchall()}


async def lock_installed(
    conn: Connection, *, machine_id: str, position: str
) -> InstalledPart | None:
    """The part in the machine at the position, locked until the transaction ends."""
    cursor = await conn.execute(
        f"""
        SELECT {_INSTALLED_COLUMNS} FROM installed_parts
        WHERE machine_id = %s AND position = %s AND removed_at IS NULL
        FOR UPDATE
        """,
        (machine_id, position),
    )
    row = await cursor.fetchone()
    return _installed(row) if row else None


async def install_part(conn: Connection, *, item: InstalledPart, by: str | None) -> None:
    """Put a part in a machine position (the position must be empty)."""
    await conn.execute(
        """
        INSERT INTO installed_parts (machine_id, position, part_number, serial, quantity,
            installed_at, installed_on_ticket, installed_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            item.machine_id,
            item.position,
            item.part_number,
            item.serial,
            item.quantity,
            item.installed_at,
            item.installed_on_ticket,
            by,
        ),
    )


async def remove_part(
    conn: Connection,
    *,
    machine_id: str,
    position: str,
    ticket_id: int | None,
    reason: str,
    by: str,
    at: datetime,
) -> None:
    """Take the current part out of the position, keeping the row as history."""
    await conn.execute(
        """
        UPDATE installed_parts SET removed_at = %s, removed_on_ticket = %s, removed_by = %s,
            removal_reason = %s
        WHERE machine_id = %s AND position = %s AND removed_at IS NULL
        """,
        (at, ticket_id, by, reason, machine_id, position),
    )


async def serial_installations(
    conn: Connection, *, part_number: str, serial: str
) -> list[tuple[InstalledPart, str | None, str | None]]:
    """Every installation of the unit, oldest first, with who installed and who removed it."""
    cursor = await conn.execute(
        f"""
        SELECT {_INSTALLED_COLUMNS}, installed_by, removed_by FROM installed_parts
        WHERE part_number = %s AND serial = %s ORDER BY installed_at, id
        """,
        (part_number, serial),
    )
    return [(_installed(row[:10]), row[10], row[11]) for row in await cursor.fetchall()]


def _installed(row: tuple[Any, ...]) -> InstalledPart:
    return InstalledPart(
        machine_id=row[0],
        position=row[1],
        part_number=row[2],
        serial=row[3],
        quantity=row[4],
        installed_at=row[5],
        installed_on_ticket=row[6],
        removed_at=row[7],
        removed_on_ticket=row[8],
        removal_reason=row[9],
    )


async def remembered(conn: Connection, *, user_id: int, kind: str, key: str) -> str | None:
    """What a creation of ``kind`` with this idempotency key made before, if it did."""
    cursor = await conn.execute(
        "SELECT ref FROM parts_idempotency_keys WHERE user_id = %s AND kind = %s AND key = %s",
        (user_id, kind, key),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def remember(conn: Connection, *, user_id: int, kind: str, key: str, ref: str) -> None:
    await conn.execute(
        "INSERT INTO parts_idempotency_keys (user_id, kind, key, ref) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (user_id, kind, key, ref),
    )
