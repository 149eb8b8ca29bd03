"""Gathering what a ticket's costs are made of: its cost entries, the parts used on it,
its newest service report, and its customer's contract pricing from the plant file.

The ticket costs and the service cost KPIs read the same facts here, one query per
kind of fact for any number of tickets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from models.parts import Money
from models.plant import ContractPricing, Plant
from models.service_costs import (
    CostedTicket,
    CostEntry,
    PartUse,
    TicketCostFacts,
    cost_items,
)
from models.service_kpis import GroupKey
from storage import parts_usage_reader, ticket_cost_store
from storage.connections import Connection
from storage.ticket_cost_store import CostedTicketRecord


def pricing_of(plant: Plant, customer_id: str) -> ContractPricing:
    """The customer's contract pricing; the defaults for a customer gone from the plant file."""
    for customer in plant.customers:
        if customer.id == customer_id:
            return customer.contract.pricing
    return ContractPricing()


async def cost_facts(
    conn: Connection, plant: Plant, records: Sequence[CostedTicketRecord]
) -> list[TicketCostFacts]:
    ids = [record.ticket_id for record in records]
    entries: dict[int, list[CostEntry]] = defaultdict(list)
    for entry in await ticket_cost_store.entries_of(conn, ticket_ids=ids):
        entries[entry.ticket_id].append(entry)
    parts: dict[int, list[PartUse]] = defaultdict(list)
    for used in await parts_usage_reader.parts_used_on(conn, ticket_ids=ids):
        parts[used.ticket_id].append(used.use)
    reports = await ticket_cost_store.report_visits(conn, ticket_ids=ids)
    return [
        TicketCostFacts(
            ticket_id=record.ticket_id,
            under_warranty=record.under_warranty,
            pricing=pricing_of(plant, record.customer_id),
            entries=tuple(entries[record.ticket_id]),
            parts=tuple(parts[record.ticket_id]),
            report=reports.get(record.ticket_id),
        )
        for record in records
    ]


async def costed_tickets(
    conn: Connection, plant: Plant, records: Sequence[CostedTicketRecord], *, zone: ZoneInfo
) -> list[CostedTicket]:
    """The tickets' priced items with the customer and line model they are grouped by."""
    customers = {customer.id: customer.name for customer in plant.customers}
    facts = {f.ticket_id: f for f in await cost_facts(conn, plant, records)}
    costed = []
    for record in records:
        try:
            line_model = plant.placement_of(record.machine_id).line.model
        except KeyError:  # a machine no longer in the plant file
            line_model = "unknown line model"
        name = customers.get(record.customer_id, record.customer_id)
        costed.append(
            CostedTicket(
                ticket_id=record.ticket_id,
                under_warranty=record.under_warranty,
                customer=GroupKey(record.customer_id, name),
                line_model=GroupKey(line_model, line_model),
                items=tuple(cost_items(facts[record.ticket_id], zone=zone)),
            )
        )
    return costed


def money_text(amounts: Sequence[Money]) -> str:
    """``EUR 2,220.50 and CHF 420.00``; ``nothing`` for no amount."""
    if not amounts:
        return "nothing"
    return " and ".join(f"{m.currency} {m.amount:,.2f}" for m in amounts)


def counted(number: Decimal | int, one: str, many: str) -> str:
    shown = f"{number.normalize():f}" if isinstance(number, Decimal) else str(number)
    return f"{shown} {one if number == 1 else many}"
