"""What stock planning and the consumption report read: parts used on tickets, the
installed base's exposure in unit-years, installed units per machine, and safety stock
per store.

A part is *used* on a ticket when it is issued on it; a unit returned serviceable on
the same ticket (not needed after all) is taken off again. A unit returned faulty is
the failed part coming back, not a reversal: it does not count. For a serialized
part a serviceable return counts off only when that very serial was issued on the
ticket (else it is the removed unit, which was fine after all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from models.parts import Money, PartClass
from models.plant import Plant
from models.service_costs import PartUse
from models.stock_planning import NO_REGION, PartHistory, RegionalBase, regional_bases
from storage.connections import Connection

# One row per ledger entry that counts as use on a ticket: issued (+) or returned unused.
_USED_ON_TICKETS = """
    SELECT m.ticket_id, m.part_number, m.at,
           CASE WHEN m.kind = 'issue' THEN m.quantity ELSE 0 END AS issued,
           CASE WHEN m.kind = 'return' THEN m.quantity ELSE 0 END AS returned
    FROM stock_movements m
    WHERE m.ticket_id IS NOT NULL
      AND m.at >= %(since)s AND m.at < %(until)s
      AND (m.kind = 'issue'
           OR (m.kind = 'return' AND m.faulty_delta = 0
               AND (m.serial IS NULL
                    OR EXISTS (SELECT 1 FROM stock_movements i
                               WHERE i.kind = 'issue' AND i.ticket_id = m.ticket_id
                                 AND i.part_number = m.part_number AND i.serial = m.serial))))
"""


_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TicketPartUse:
    ticket_id: int
    use: PartUse


@dataclass(frozen=True, slots=True)
class InstalledUnits:
    part_number: str
    machine_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StoreSafetyStock:
    store_id: str
    central: bool
    region: str
    part_number: str
    safety_stock: int


@dataclass(frozen=True, slots=True)
class ConsumptionRecord:
    """A part used for one customer in one month (months in the zone asked for)."""

    month: date
    customer_id: str
    part_number: str
    description: str
    issued: int
    returned: int
    tickets: int
    unit_cost: Decimal
    currency: str

    @property
    def used(self) -> int:
        return self.issued - self.returned


async def part_histories(
    conn: Connection, *, since: datetime, until: datetime
) -> list[PartHistory]:
    """Every catalogue part with its use on tickets and its installed unit-years in
    ``[since, until)``."""
    cursor = await conn.execute(
        f"""
        WITH used AS ({_USED_ON_TICKETS}),
        use_per_part AS (
            SELECT part_number, sum(issued - returned) AS units FROM used GROUP BY part_number
        ),
        exposure AS (
            SELECT part_number,
                   sum(quantity * extract(epoch FROM
                       least(coalesce(removed_at, %(until)s), %(until)s)
                       - greatest(installed_at, %(since)s))) / (365.0 * 86400) AS unit_years
            FROM installed_parts
            WHERE installed_at < %(until)s AND coalesce(removed_at, 'infinity') > %(since)s
            GROUP BY part_number
        )
        SELECT p.part_number, p.part_class, p.lead_time_days,
               coalesce(u.units, 0), coalesce(e.unit_years, 0)
        FROM parts p
        LEFT JOIN use_per_part u USING (part_number)
        LEFT JOIN exposure e USING (part_number)
        ORDER BY p.part_number
        """,
        {"since": since, "until": until},
    )
    return [
        PartHistory(
            part_number=row[0],
            part_class=PartClass(row[1]),
            lead_time_days=row[2],
            units_used=int(row[3]),
            unit_years=float(row[4]),
        )
        for row in await cursor.fetchall()
    ]


async def installed_units(conn: Connection) -> list[InstalledUnits]:
    """Units of each part installed in each machine now."""
    cursor = await conn.execute(
        """
        SELECT part_number, machine_id, sum(quantity) FROM installed_parts
        WHERE removed_at IS NULL
        GROUP BY part_number, machine_id ORDER BY part_number, machine_id
        """
    )
    return [InstalledUnits(row[0], row[1], int(row[2])) for row in await cursor.fetchall()]


async def safety_stocks(conn: Connection) -> list[StoreSafetyStock]:
    """Each store's safety stock per part, with the store's region."""
    cursor = await conn.execute(
        """
        SELECT s.id, s.kind = 'central', s.region, l.part_number, l.safety_stock
        FROM stock_levels l JOIN stores s ON s.id = l.store_id
        ORDER BY s.id, l.part_number
        """
    )
    return [StoreSafetyStock(*row) for row in await cursor.fetchall()]


async def regional_bases_now(conn: Connection, *, plant: Plant) -> list[RegionalBase]:
    """Per part and region the units installed now (by the region of the machine's site
    in the plant file) and the safety stock of the region's stores and vans; per part
    the pooled base against the central store's safety stock."""
    region_of = {
        placement.machine.id: placement.site.region or NO_REGION for placement in plant.placements()
    }
    installed = [
        (item.part_number, region_of.get(item.machine_id, NO_REGION), item.quantity)
        for item in await installed_units(conn)
    ]
    levels = await safety_stocks(conn)
    return regional_bases(
        installed,
        [
            (lv.part_number, lv.region or NO_REGION, lv.safety_stock)
            for lv in levels
            if not lv.central
        ],
        [(lv.part_number, lv.safety_stock) for lv in levels if lv.central],
    )


async def consumption(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    zone: str,
    customer_id: str | None = None,
    part_number: str | None = None,
) -> list[ConsumptionRecord]:
    """Parts used on tickets per month (in ``zone``), customer and part, oldest month first."""
    cursor = await conn.execute(
        f"""
        WITH used AS ({_USED_ON_TICKETS})
        SELECT date_trunc('month', u.at AT TIME ZONE %(zone)s)::date, t.customer_id,
               u.part_number, p.description, sum(u.issued), sum(u.returned),
               count(DISTINCT u.ticket_id), p.unit_cost, p.currency
        FROM used u
        JOIN tickets t ON t.id = u.ticket_id
        JOIN parts p ON p.part_number = u.part_number
        WHERE (%(customer)s::text IS NULL OR t.customer_id = %(customer)s)
          AND (%(part)s::text IS NULL OR u.part_number = %(part)s)
        GROUP BY 1, 2, 3, 4, p.unit_cost, p.currency
        ORDER BY 1, 2, 3
        """,
        {
            "since": since,
            "until": until,
            "zone": zone,
            "customer": customer_id,
            "part": part_number,
        },
    )
    return [
        ConsumptionRecord(
            month=row[0],
            customer_id=row[1],
            part_number=row[2],
            description=row[3],
            issued=int(row[4]),
            returned=int(row[5]),
            tickets=int(row[6]),
            unit_cost=row[7],
            currency=row[8],
        )
        for row in await cursor.fetchall()
    ]


async def parts_used_on(conn: Connection, *, ticket_ids: Sequence[int]) -> list[TicketPartUse]:
    """Every booking that counts as use on these tickets, oldest first, with the part's
    description and current unit cost."""
    cursor = await conn.execute(
        f"""
        WITH used AS ({_USED_ON_TICKETS})
        SELECT u.ticket_id, u.part_number, p.description, u.issued - u.returned,
               p.unit_cost, p.currency, u.at
        FROM used u JOIN parts p USING (part_number)
        WHERE u.ticket_id = ANY(%(tickets)s)
        ORDER BY u.at, u.ticket_id, u.part_number
        """,
        {
            "since": datetime.min.replace(tzinfo=UTC),
            "until": _END_OF_TIME,
            "tickets": list(ticket_ids),
        },
    )
    return [
        TicketPartUse(row[0], PartUse(row[1], row[2], int(row[3]), Money(row[4], row[5]), row[6]))
        for row in await cursor.fetchall()
    ]
