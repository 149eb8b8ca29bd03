"""The parts consumption report: parts used on tickets per month, customer and part, as
the API's JSON and as CSV. The router and ``linecare parts consumption`` both build it here.

CSV amounts are plain decimals with their currency in a column of its own, so a
spreadsheet sums them; the file starts with a byte order mark so that spreadsheet
programs read it as UTF-8 (customer names carry umlauts).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from zoneinfo import ZoneInfo

from api.schemas.stock_planning import ConsumptionPublic, ConsumptionRowPublic
from models.calendar_days import midnight, months_after
from models.plant import Plant
from storage import parts_usage_reader
from storage.connections import Connection

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12
LONGEST_MONTHS = 60
HEADER = (
    "Month",
    "Customer ID",
    "Customer",
    "Part number",
    "Description",
    "Issued",
    "Returned unused",
    "Used",
    "Tickets",
    "Unit cost",
    "Cost",
    "Currency",
)


class BadRange(ValueError):
    """A month that is no YYYY-MM, or a range backwards or too long; the message says which."""


def month_range(
    first_month: str | None, last_month: str | None, *, today: date
) -> tuple[date, date]:
    """The first days of the range's first and last months; by default the twelve months
    up to ``today``'s."""
    last = _month(last_month, "to") if last_month else date(today.year, today.month, 1)
    first = _month(first_month, "from") if first_month else months_after(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise BadRange("'from' lies after 'to'")
    if (last.year - first.year) * 12 + last.month - first.month >= LONGEST_MONTHS:
        raise BadRange("the range may cover at most five years")
    return first, last


async def consumption_report(
    conn: Connection,
    plant: Plant,
    *,
    zone: ZoneInfo,
    first: date,
    last: date,
    customer_id: str | None = None,
    part_number: str | None = None,
) -> ConsumptionPublic:
    """Months ``first``-``last`` (both first days, included) in ``zone``."""
    records = await parts_usage_reader.consumption(
        conn,
        since=midnight(first, zone),
        until=midnight(months_after(last, 1), zone),
        zone=zone.key,
        customer_id=customer_id,
        part_number=part_number,
    )
    customers = {customer.id: customer.name for customer in plant.customers}
    return ConsumptionPublic(
        first_month=first,
        last_month=last,
        timezone=zone.key,
        rows=[
            ConsumptionRowPublic.of(r, customers.get(r.customer_id, r.customer_id)) for r in records
        ],
    )


def csv_file_name(report: ConsumptionPublic) -> str:
    return f"parts-consumption-{report.first_month:%Y-%m}-to-{report.last_month:%Y-%m}.csv"


def render_consumption_csv(report: ConsumptionPublic) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in report.rows:
        writer.writerow(
            (
                row.month,
                row.customer_id,
                row.customer_name,
                row.part_number,
                row.description,
                row.issued,
                row.returned_unused,
                row.used,
                row.tickets,
                f"{row.unit_cost:.2f}",
                f"{row.cost:.2f}",
                row.currency,
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _month(text: str, name: str) -> date:
    matched = _MONTH.match(text)
    if matched is None:
        raise BadRange(f"'{name}' must be a month, YYYY-MM")
    return date(int(matched[1]), int(matched[2]), 1)
