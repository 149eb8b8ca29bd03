"""/api/v1/tickets/{id}/costs: what a ticket's work cost and what the customer pays for it.

Whoever may see the ticket reads its costs (another customer's ticket, or another
engineer's job, is 404 like a missing one). The service team gets every item, the
totals, the cost entries and the contract's rates; a customer only the sentence
saying what they pay and the amount. Labour and travel are recorded here by the
field engineer on their own job, the desk, support or an administrator. Who worked
and who recorded it are named beside their logins (api/people_names.py). See
docs/spare_parts.md, "Costs".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api.deps import ConnDep, CurrentUser, PlantDep
from api.people_names import people_names
from api.routers.service_kpis import service_zone
from api.schemas.service_costs import (
    CostEntryBody,
    CostEntryPublic,
    CostItemPublic,
    CostTotalsPublic,
    MoneyPublic,
    PricingPublic,
    TicketCostDetailPublic,
    TicketCostsPublic,
)
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from api.ticket_cost_facts import cost_facts, counted, money_text, pricing_of
from models.plant import Plant
from models.service_costs import TicketCosts, ticket_costs
from models.tickets import Ticket
from models.users import Role, User
from storage import ticket_cost_store
from storage.connections import Connection
from storage.ticket_cost_store import CostedTicketRecord

router = APIRouter(prefix="/tickets", tags=["ticket costs"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_MAY_RECORD = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN, Role.FIELD_ENGINEER})


@router.get("/{ticket_id}/costs")
async def get_ticket_costs(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> TicketCostsPublic:
    """The ticket's cost summary; for a customer only what they pay, in words and amount."""
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _costs_public(conn, plant, ticket, user)


@router.post("/{ticket_id}/costs", status_code=status.HTTP_201_CREATED)
async def record_cost_entry(
    ticket_id: TicketId,
    body: CostEntryBody,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> TicketCostsPublic:
    """Record labour and travel on one day; answers the ticket's costs with it."""
    ticket = await visible_ticket(conn, user, ticket_id)
    if user.role not in _MAY_RECORD:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "labour and travel are recorded by the service team, not a " + user.role,
        )
    engineer = body.engineer or user.login
    if user.role is Role.FIELD_ENGINEER and engineer != user.login:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "a field engineer records their own hours only"
        )
    if body.labour_hours == 0 and body.travel_hours == 0 and body.travel_km == 0:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "record labour hours, travel hours or kilometres (all are 0)",
        )
    zone = service_zone(plant)
    received = ticket.draft.received_at.astimezone(zone).date()
    if body.work_date > now.astimezone(zone).date():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the work date lies ahead")
    if body.work_date < received - timedelta(days=1):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the work date lies before the ticket was received ({received})",
        )
    await ticket_cost_store.add_entry(
        conn,
        ticket_id=ticket.id,
        draft=body.draft(engineer),
        recorded_by=user.login,
        recorded_at=now,
    )
    await conn.commit()
    return await _costs_public(conn, plant, ticket, user)


async def _costs_public(
    conn: Connection, plant: Plant, ticket: Ticket, user: User
) -> TicketCostsPublic:
    draft = ticket.draft
    record = CostedTicketRecord(
        ticket.id, draft.customer_id, draft.machine_id, draft.under_warranty
    )
    (facts,) = await cost_facts(conn, plant, [record])
    costs = ticket_costs(facts, zone=service_zone(plant))
    detail = None
    if user.role is not Role.CUSTOMER:
        entries = facts.entries
        named = [e.draft.engineer for e in entries] + [e.recorded_by for e in entries]
        names = await people_names(conn, user, named)
        detail = TicketCostDetailPublic(
            items=[CostItemPublic.of(item, names) for item in costs.items],
            totals=CostTotalsPublic.of(costs.totals),
            labour_estimated=costs.labour_estimated,
            travel_unrecorded=costs.travel_unrecorded,
            entries=[CostEntryPublic.of(entry, names) for entry in entries],
            pricing=PricingPublic.of(pricing_of(plant, draft.customer_id)),
        )
    return TicketCostsPublic(
        ticket_id=ticket.id,
        number=ticket.number,
        contract_number=draft.contract_number,
        under_warranty=draft.under_warranty,
        summary=charge_sentence(ticket, costs),
        charged=MoneyPublic.all(costs.charged),
        detail=detail,
    )


def charge_sentence(ticket: Ticket, costs: TicketCosts) -> str:
    """What the customer pays for the ticket, in plain words."""
    if costs.under_warranty:
        return (
            f"No charge: the work on {ticket.number} is under warranty, parts, labour and"
            " travel included."
        )
    contract = ticket.draft.contract_number
    if not costs.charged:
        travel = " (the travel is still to be added)" if costs.travel_unrecorded else ""
        return f"Billable under contract {contract}: nothing charged so far{travel}."
    totals = costs.totals
    work = [
        counted(totals.labour_hours, "hour of labour", "hours of labour"),
        counted(totals.trips, "trip", "trips"),
        counted(totals.parts_units, "part", "parts"),
    ]
    estimate = " (labour estimated from the service report)" if costs.labour_estimated else ""
    travel = "; the travel is still to be added" if costs.travel_unrecorded else ""
    return (
        f"Billable under contract {contract}: {money_text(costs.charged)} so far, for"
        f" {', '.join(work[:-1])} and {work[-1]}{estimate}{travel}."
    )
