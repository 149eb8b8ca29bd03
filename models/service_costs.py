"""What a ticket's work cost and what the customer is charged for it, and the service
cost KPIs split by warranty and billable work. Pure.

- **Labour and travel** come from the cost entries recorded on the ticket (hours
  worked, travel hours and kilometres, each entry with travel one trip). Without any
  labour entry the newest service report's time on site (arrival to the line
  restored) stands in, marked estimated, and its visit counts as one trip.
- **Parts** are the parts used on the ticket (issued, less units returned unused),
  at the catalogue's unit cost.
- **Price** at the contract's rates: labour hours x labour rate; travel either a
  flat fee per trip or hours x travel rate + km x rate per km; parts at unit cost
  plus the markup, in the part's own currency. Amounts are never converted: totals
  are kept per currency.
- **Charge**: warranty work is free to the customer (the ticket's warranty, derived
  from the line's acceptance date and warranty months, or overridden with a reason);
  billable work is charged its price.

Every item falls on the day it happened (the work date, the part's booking, the
line restored), so a month's cost figures do not change once it is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.parts import Money
from models.plant import ContractPricing
from models.service_kpis import GroupKey

_CENT = Decimal("0.01")
_HOUR = 3600


class CostKind(StrEnum):
    LABOUR = "labour"
    TRAVEL = "travel"
    PARTS = "parts"


@dataclass(frozen=True, slots=True)
class CostEntryDraft:
    """Work and travel on one day, as an engineer or the desk records it."""

    work_date: date
    engineer: str
    labour_hours: Decimal = Decimal(0)
    travel_hours: Decimal = Decimal(0)
    travel_km: Decimal = Decimal(0)
    note: str = ""

    @property
    def is_trip(self) -> bool:
        return self.travel_hours > 0 or self.travel_km > 0


@dataclass(frozen=True, slots=True)
class CostEntry:
    id: int
    ticket_id: int
    draft: CostEntryDraft
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PartUse:
    """One ledger booking of a part on a ticket: issued (positive) or returned unused."""

    part_number: str
    description: str
    units: int
    unit_cost: Money
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportVisit:
    """The newest service report's times: on site from ``arrived_at`` to ``restored_at``."""

    arrived_at: datetime | None
    restored_at: datetime | None


@dataclass(frozen=True, slots=True)
class TicketCostFacts:
    ticket_id: int
    under_warranty: bool
    pricing: ContractPricing
    entries: Sequence[CostEntry] = ()
    parts: Sequence[PartUse] = ()
    report: ReportVisit | None = None


@dataclass(frozen=True, slots=True)
class CostItem:
    """One priced piece of a ticket's work, on the day it happened.

    ``cost``: what the parts cost the service (None for labour and travel, whose
    worth is their hours); ``price``: at the contract's rates; ``engineer``: the
    login of who did recorded labour or travel, as the label names them.
    """

    ticket_id: int
    day: date
    kind: CostKind
    label: str
    price: Money
    cost: Money | None = None
    hours: Decimal = Decimal(0)
    km: Decimal = Decimal(0)
    trips: int = 0
    units: int = 0
    part_number: str | None = None
    estimated: bool = False
    engineer: str | None = None


@dataclass(frozen=True, slots=True)
class CostTotals:
    """Sums over cost items; amounts per currency, sorted by currency."""

    tickets: int = 0
    labour_hours: Decimal = Decimal(0)
    travel_hours: Decimal = Decimal(0)
    travel_km: Decimal = Decimal(0)
    trips: int = 0
    parts_units: int = 0
    parts_cost: tuple[Money, ...] = ()
    labour_value: tuple[Money, ...] = ()
    travel_value: tuple[Money, ...] = ()
    parts_value: tuple[Money, ...] = ()
    value: tuple[Money, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketCosts:
    """A ticket's cost summary: its items, their totals, and what the customer pays."""

    ticket_id: int
    under_warranty: bool
    items: tuple[CostItem, ...]
    totals: CostTotals
    charged: tuple[Money, ...]
    labour_estimated: bool
    # A visit was made, the contract charges travel by time and distance, and neither
    # is recorded: the travel is owed but cannot be priced yet (never shown as 0.00).
    travel_unrecorded: bool = False


def cost_items(facts: TicketCostFacts, *, zone: ZoneInfo) -> list[CostItem]:
    """The ticket's labour, travel and parts, each priced at the contract's rates."""
    items = _entry_items(facts)
    if not any(e.draft.labour_hours > 0 for e in facts.entries):
        items += _report_items(facts, zone)
    items += [_part_item(facts, use, zone) for use in facts.parts if use.units]
    return sorted(items, key=lambda item: (item.day, item.kind, item.label))


def ticket_costs(facts: TicketCostFacts, *, zone: ZoneInfo) -> TicketCosts:
    items = cost_items(facts, zone=zone)
    totals = add_up(items)
    return TicketCosts(
        ticket_id=facts.ticket_id,
        under_warranty=facts.under_warranty,
        items=tuple(items),
        totals=totals,
        charged=() if facts.under_warranty else totals.value,
        labour_estimated=any(i.estimated for i in items if i.kind is CostKind.LABOUR),
        travel_unrecorded=travel_unrecorded(facts),
    )


def add_up(items: Iterable[CostItem]) -> CostTotals:
    """Totals over items, of however many tickets."""
    chosen = list(items)

    def of(kind: CostKind) -> list[CostItem]:
        return [i for i in chosen if i.kind is kind]

    return CostTotals(
        tickets=len({i.ticket_id for i in chosen}),
        labour_hours=sum((i.hours for i in of(CostKind.LABOUR)), Decimal(0)),
        travel_hours=sum((i.hours for i in of(CostKind.TRAVEL)), Decimal(0)),
        travel_km=sum((i.km for i in chosen), Decimal(0)),
        trips=sum(i.trips for i in chosen),
        parts_units=sum(i.units for i in chosen),
        parts_cost=sum_money(i.cost for i in chosen if i.cost is not None),
        labour_value=sum_money(i.price for i in of(CostKind.LABOUR)),
        travel_value=sum_money(i.price for i in of(CostKind.TRAVEL)),
        parts_value=sum_money(i.price for i in of(CostKind.PARTS)),
        value=sum_money(i.price for i in chosen),
    )


def sum_money(amounts: Iterable[Money]) -> tuple[Money, ...]:
    """Amounts added per currency, by currency; currencies that sum to nothing stay out."""
    sums: dict[str, Decimal] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return tuple(Money(amount, currency) for currency, amount in sorted(sums.items()) if amount)


def _entry_items(facts: TicketCostFacts) -> list[CostItem]:
    pricing = facts.pricing
    items: list[CostItem] = []
    for entry in facts.entries:
        draft = entry.draft
        # Who, not when or what kind: an item's day and kind are fields of their own, and
        # a name in brackets read "Labour (Field engineer Hamburg (demo), 2026-12-06)".
        if draft.labour_hours > 0:
            work = f"Work by {draft.engineer}"
            items.append(
                _labour(facts, draft.work_date, draft.labour_hours, work, engineer=draft.engineer)
            )
        if draft.is_trip:
            if pricing.travel_flat_per_trip is not None:
                price = pricing.travel_flat_per_trip
            else:
                price = (
                    draft.travel_hours * pricing.travel_rate_per_hour
                    + draft.travel_km * pricing.travel_rate_per_km
                )
            items.append(
                CostItem(
                    ticket_id=facts.ticket_id,
                    day=draft.work_date,
                    kind=CostKind.TRAVEL,
                    label=f"Trip by {draft.engineer}",
                    engineer=draft.engineer,
                    price=Money(_cents(price), pricing.currency),
                    hours=draft.travel_hours,
                    km=draft.travel_km,
                    trips=1,
                )
            )
    return items


def _report_items(facts: TicketCostFacts, zone: ZoneInfo) -> list[CostItem]:
    """Labour and a trip estimated from the report's time on site, when nobody recorded any."""
    report = facts.report
    if report is None or report.arrived_at is None:
        return []
    items: list[CostItem] = []
    day = report.arrived_at.astimezone(zone).date()
    if report.restored_at is not None and report.restored_at > report.arrived_at:
        seconds = Decimal((report.restored_at - report.arrived_at).total_seconds())
        hours = (seconds / _HOUR).quantize(Decimal("0.1"), ROUND_HALF_UP)
        day = report.restored_at.astimezone(zone).date()
        items.append(
            _labour(facts, day, hours, "Work on site (from the service report)", estimated=True)
        )
    flat = facts.pricing.travel_flat_per_trip
    if flat is not None and not any(e.draft.is_trip for e in facts.entries):
        items.append(
            CostItem(
                ticket_id=facts.ticket_id,
                day=day,
                kind=CostKind.TRAVEL,
                label="Trip to site (from the service report)",
                price=Money(_cents(flat), facts.pricing.currency),
                trips=1,
                estimated=True,
            )
        )
    return items


def travel_unrecorded(facts: TicketCostFacts) -> bool:
    """A visit on the report, travel charged by time and distance, and none recorded."""
    visited = facts.report is not None and facts.report.arrived_at is not None
    return (
        visited
        and facts.pricing.travel_flat_per_trip is None
        and not any(e.draft.is_trip for e in facts.entries)
    )


def _labour(
    facts: TicketCostFacts,
    day: date,
    hours: Decimal,
    label: str,
    *,
    estimated: bool = False,
    engineer: str | None = None,
) -> CostItem:
    price = hours * facts.pricing.labour_rate_per_hour
    return CostItem(
        ticket_id=facts.ticket_id,
        day=day,
        kind=CostKind.LABOUR,
        label=label,
        price=Money(_cents(price), facts.pricing.currency),
        hours=hours,
        estimated=estimated,
        engineer=engineer,
    )


def _part_item(facts: TicketCostFacts, use: PartUse, zone: ZoneInfo) -> CostItem:
    cost = use.unit_cost.amount * use.units
    markup = 1 + facts.pricing.parts_markup_percent / 100
    returned = " returned unused" if use.units < 0 else ""
    return CostItem(
        ticket_id=facts.ticket_id,
        day=use.at.astimezone(zone).date(),
        kind=CostKind.PARTS,
        label=f"{abs(use.units)} x {use.part_number} {use.description}{returned}",
        price=Money(_cents(cost * markup), use.unit_cost.currency),
        cost=Money(_cents(cost), use.unit_cost.currency),
        units=use.units,
        part_number=use.part_number,
    )


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)


# Service cost KPIs ----------------------------------------------------------------------


class CostDimension(StrEnum):
    MONTH = "month"
    CUSTOMER = "customer"
    LINE_MODEL = "line_model"


@dataclass(frozen=True, slots=True)
class CostedTicket:
    """A ticket's priced items, with what it is grouped by."""

    ticket_id: int
    under_warranty: bool
    customer: GroupKey
    line_model: GroupKey
    items: tuple[CostItem, ...]


@dataclass(frozen=True, slots=True)
class CostSplit:
    """Warranty work (free to the customer: its value is the service's own cost) and
    billable work (its value is charged)."""

    warranty: CostTotals = field(default_factory=CostTotals)
    billable: CostTotals = field(default_factory=CostTotals)


@dataclass(frozen=True, slots=True)
class CostGroup:
    key: GroupKey
    split: CostSplit


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    dimension: CostDimension
    first_day: date
    last_day: date
    total: CostSplit
    groups: tuple[CostGroup, ...]


def service_cost_kpis(
    tickets: Sequence[CostedTicket], *, first_day: date, last_day: date, dimension: CostDimension
) -> CostBreakdown:
    """Cost figures over the items dated ``first_day``-``last_day`` (included), in total
    and per group; a group with no item in the range is left out, except months."""
    dated = [
        (ticket, item)
        for ticket in tickets
        for item in ticket.items
        if first_day <= item.day <= last_day
    ]
    keys: dict[str, GroupKey] = {}
    members: dict[str, list[tuple[CostedTicket, CostItem]]] = {}
    if dimension is CostDimension.MONTH:
        for month in _months(first_day, last_day):
            keys[month.key] = month
            members[month.key] = []
    for ticket, item in dated:
        key = _group_of(ticket, item, dimension)
        keys.setdefault(key.key, key)
        members.setdefault(key.key, []).append((ticket, item))
    order = (
        sorted(keys)
        if dimension is CostDimension.MONTH
        else sorted(keys, key=lambda k: keys[k].label.casefold())
    )
    return CostBreakdown(
        dimension=dimension,
        first_day=first_day,
        last_day=last_day,
        total=_split(dated),
        groups=tuple(CostGroup(keys[k], _split(members[k])) for k in order),
    )


def _split(pairs: Sequence[tuple[CostedTicket, CostItem]]) -> CostSplit:
    return CostSplit(
        warranty=add_up(item for ticket, item in pairs if ticket.under_warranty),
        billable=add_up(item for ticket, item in pairs if not ticket.under_warranty),
    )


def _group_of(ticket: CostedTicket, item: CostItem, dimension: CostDimension) -> GroupKey:
    if dimension is CostDimension.CUSTOMER:
        return ticket.customer
    if dimension is CostDimension.LINE_MODEL:
        return ticket.line_model
    return _month_key(date(item.day.year, item.day.month, 1))


def _months(first: date, last: date) -> list[GroupKey]:
    months = []
    month = date(first.year, first.month, 1)
    while month <= last:
        months.append(_month_key(month))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _month_key(month: date) -> GroupKey:
    return GroupKey(f"{month:%Y-%m}", f"{month:%b %Y}")
