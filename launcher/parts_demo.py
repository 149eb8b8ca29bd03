"""The demo's spare parts: the catalogue and installed base from the files beside the
plant file, a central store, two regional stores, a van per field engineer with
stock, and a parts manager (token ``demo-parts``, public like the other demo tokens).

Seeding runs at every demo start and changes nothing the second time: parts are
added when the catalogue lacks them (edits made since stay), stores and stock only
when there are no stores yet, the installed base only for machines that have none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alerts import part_replacement, stock_commands
from alerts.parts_catalogue_import import RowError, read_catalogue, read_installed_base
from models.parts import Part
from models.plant import Plant
from models.stock import MovementKind, MovementRequest, Store, StoreKind
from models.users import Role
from storage import engineer_store, parts_store, stock_store
from storage.connections import Connection
from storage.user_store import DEMO_PASSWORD_HASH, upsert_user

CATALOGUE_FILE = "parts_catalogue.csv"
INSTALLED_BASE_FILE = "installed_base.csv"
DEMO_PARTS_MANAGER = "demo-parts"
SEEDED_BY = "demo"

CENTRAL = Store("central", "Central parts warehouse (Munich)", StoreKind.CENTRAL, "south-germany")
REGIONAL = (
    Store("regional-hamburg", "Regional store Hamburg", StoreKind.REGIONAL, "north-germany"),
    Store("regional-zurich", "Regional store Zurich", StoreKind.REGIONAL, "switzerland"),
)


class DemoDataError(ValueError):
    """A demo file has bad rows; the message lists them."""


@dataclass(frozen=True, slots=True)
class _Stock:
    part_number: str
    on_hand: int
    safety_stock: int
    reorder_point: int


# Central holds most; the regions keep their critical parts; vans carry wear parts.
_CENTRAL_STOCK = (
    _Stock("FIL12-BRG-KIT", 3, 2, 2),
    _Stock("FIL12-VALVE-SEAL", 20, 8, 10),
    _Stock("FIL12-LEVEL-PROBE", 2, 1, 1),
    _Stock("CAP6-CHUCK", 4, 2, 2),
    _Stock("CAP6-TORQUE-CLUTCH", 1, 1, 1),
    # Below its safety stock on purpose: the demo shows a low-stock warning.
    _Stock("LAB2-GLUE-PUMP", 1, 2, 2),
    _Stock("LAB2-PALLET-SET", 6, 2, 3),
    _Stock("SENS-PX-M18", 40, 10, 15),
    _Stock("SENS-PHOTO-WL12", 12, 4, 5),
    _Stock("BELT-HTD-8M", 15, 5, 6),
    _Stock("PK9-GRIPPER", 1, 1, 1),
    _Stock("SL3-TAPE-HEAD", 2, 1, 1),
)
_REGIONAL_STOCK = {
    "regional-hamburg": (
        _Stock("FIL12-BRG-KIT", 1, 1, 1),
        _Stock("FIL12-VALVE-SEAL", 6, 4, 4),
        _Stock("CAP6-CHUCK", 2, 1, 1),
        _Stock("LAB2-PALLET-SET", 2, 1, 1),
        _Stock("SENS-PX-M18", 10, 4, 5),
    ),
    "regional-zurich": (
        _Stock("PK9-GRIPPER", 1, 1, 1),
        _Stock("SL3-TAPE-HEAD", 1, 1, 1),
        _Stock("BELT-HTD-8M", 6, 2, 3),
        _Stock("SENS-PX-M18", 8, 4, 5),
    ),
}
_VAN_STOCK = (
    _Stock("SENS-PX-M18", 4, 2, 2),
    _Stock("SENS-PHOTO-WL12", 2, 1, 1),
    _Stock("FIL12-VALVE-SEAL", 2, 1, 1),
    _Stock("BELT-HTD-8M", 2, 1, 1),
)


async def seed_demo_parts(
    conn: Connection, *, plant: Plant, config_dir: Path, at: datetime
) -> None:
    """Seed the demo's parts (the plant's assets and the demo users must be there first)."""
    catalogue = read_catalogue((config_dir / CATALOGUE_FILE).read_text(encoding="utf-8"))
    if not catalogue.ok:
        raise DemoDataError(_describe(CATALOGUE_FILE, catalogue.errors))
    parts = {part.part_number: part for part in catalogue.rows}
    models = {
        machine.id: machine.model for _, _, line in plant.lines() for machine in line.machines
    }
    base = read_installed_base(
        (config_dir / INSTALLED_BASE_FILE).read_text(encoding="utf-8"),
        machine_models=models,
        catalogue=parts,
    )
    if not base.ok:
        raise DemoDataError(_describe(INSTALLED_BASE_FILE, base.errors))
    async with conn.transaction():
        await upsert_user(
            conn,
            login=DEMO_PARTS_MANAGER,
            display_name="Spare parts manager (demo)",
            role=Role.PARTS_MANAGER,
            customer_id=None,
            token=DEMO_PARTS_MANAGER,
            # Signs in at /sign-in like the other demo users.
            password_hash=DEMO_PASSWORD_HASH,
        )
        for part in catalogue.rows:  # a part edited since keeps its edits
            await parts_store.create_part(conn, part=part, by=SEEDED_BY, at=at)
        if not await stock_store.list_stores(conn):
            await _seed_stores(conn, parts, at)
        equipped = await parts_store.equipped_machines(conn)
        for item in base.rows:
            if item.machine_id not in equipped:
                await part_replacement.seed_installed(conn, item=item)


def _describe(name: str, errors: Sequence[RowError]) -> str:
    return f"{name}: " + "; ".join(str(error) for error in errors)


async def _seed_stores(conn: Connection, parts: Mapping[str, Part], at: datetime) -> None:
    engineers = await engineer_store.list_field_engineers(conn)
    vans = tuple(
        Store(
            f"van-{engineer.login}",
            f"Van of {engineer.display_name}",
            StoreKind.VAN,
            engineer.profile.home_region,
            engineer.login,
        )
        for engineer in engineers
    )
    stocked: list[tuple[Store, tuple[_Stock, ...]]] = [(CENTRAL, _CENTRAL_STOCK)]
    stocked += [(store, _REGIONAL_STOCK[store.id]) for store in REGIONAL]
    stocked += [(van, _VAN_STOCK) for van in vans]
    serials = _SerialMaker()
    for store, stock in stocked:
        await stock_store.save_store(conn, store=store)
        for item in stock:
            await _stock_up(conn, store, item, serial_numbers=serials, parts=parts, at=at)


class _SerialMaker:
    """Serials for the demo's received units: part prefix, the year, a running number."""

    def __init__(self) -> None:
        self._next = 5001

    def take(self, part_number: str, year: int) -> str:
        self._next += 1
        return f"{part_number.split('-')[-1][:3]}-{year}-{self._next:04d}"


async def _stock_up(
    conn: Connection,
    store: Store,
    item: _Stock,
    *,
    serial_numbers: _SerialMaker,
    parts: Mapping[str, Part],
    at: datetime,
) -> None:
    await stock_store.set_thresholds(
        conn,
        store_id=store.id,
        part_number=item.part_number,
        safety_stock=item.safety_stock,
        reorder_point=item.reorder_point,
    )
    serialized = parts[item.part_number].serialized
    units = [serial_numbers.take(item.part_number, at.year) for _ in range(item.on_hand)]
    batches: list[tuple[int, str | None]] = (
        [(1, serial) for serial in units] if serialized else [(item.on_hand, None)]
    )
    for quantity, serial in batches:
        request = MovementRequest(
            kind=MovementKind.RECEIPT,
            store_id=store.id,
            part_number=item.part_number,
            quantity=quantity,
            serial=serial,
            reason="opening stock",
        )
        await stock_commands.book_in_transaction(conn, request=request, actor=SEEDED_BY, at=at)
