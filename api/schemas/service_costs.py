"""A ticket's costs and charge, cost entries to record, and the service cost KPIs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from api.schemas.people import NO_NAMES, PeopleNames
from models.parts import Money
from models.plant import ContractPricing
from models.service_costs import (
    CostBreakdown,
    CostDimension,
    CostEntry,
    CostEntryDraft,
    CostItem,
    CostKind,
    CostSplit,
    CostTotals,
)


class MoneyPublic(PublicModel):
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyPublic:
        return cls(amount=money.amount, currency=money.currency)

    @classmethod
    def all(cls, amounts: tuple[Money, ...]) -> list[MoneyPublic]:
        return [cls.of(money) for money in amounts]


class CostEntryBody(BaseModel):
    """Labour and travel on one day. ``engineer``: who worked (default: you)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "work_date": "2026-11-30",
                    "engineer": "demo-field-1",
                    "labour_hours": "2.50",
                    "travel_hours": "1.25",
                    "travel_km": "84.0",
                    "note": "bearing swap and test run",
                }
            ]
        },
    )

    work_date: date
    engineer: str | None = Field(default=None, min_length=1, max_length=200)
    labour_hours: Decimal = Field(default=Decimal(0), ge=0, le=24, decimal_places=2)
    travel_hours: Decimal = Field(default=Decimal(0), ge=0, le=24, decimal_places=2)
    travel_km: Decimal = Field(default=Decimal(0), ge=0, le=5000, decimal_places=1)
    note: str = Field(default="", max_length=2000)

    def draft(self, engineer: str) -> CostEntryDraft:
        return CostEntryDraft(
            work_date=self.work_date,
            engineer=engineer,
            labour_hours=self.labour_hours,
            travel_hours=self.travel_hours,
            travel_km=self.travel_km,
            note=self.note,
        )


class CostEntryPublic(PublicModel):
    """Labour and travel on one day, for the service team (a customer reads no entries)."""

    id: int
    work_date: date
    engineer: str = Field(description="Login of who worked")
    engineer_name: str = Field(description="Name of who worked; the login when the account is gone")
    labour_hours: Decimal
    travel_hours: Decimal
    travel_km: Decimal
    note: str
    recorded_by: str = Field(description="Login of who recorded it")
    recorded_by_name: str = Field(
        description="Name of who recorded it; the login when the account is gone"
    )
    recorded_at: datetime

    @classmethod
    def of(cls, entry: CostEntry, names: PeopleNames = NO_NAMES) -> CostEntryPublic:
        draft = entry.draft
        return cls(
            id=entry.id,
            work_date=draft.work_date,
            engineer=draft.engineer,
            engineer_name=names.name(draft.engineer) or draft.engineer,
            labour_hours=draft.labour_hours,
            travel_hours=draft.travel_hours,
            travel_km=draft.travel_km,
            note=draft.note,
            recorded_by=entry.recorded_by,
            recorded_by_name=names.name(entry.recorded_by) or entry.recorded_by,
            recorded_at=entry.recorded_at,
        )


class CostItemPublic(PublicModel):
    """``cost``: what parts cost the service; ``price``: at the contract's rates;
    ``estimated``: from the service report, as nobody recorded the labour; ``label``
    names the engineer of recorded labour and travel by name."""

    day: date
    kind: CostKind
    label: str
    hours: Decimal
    km: Decimal
    trips: int
    units: int
    part_number: str | None
    cost: MoneyPublic | None
    price: MoneyPublic
    estimated: bool

    @classmethod
    def of(cls, item: CostItem, names: PeopleNames = NO_NAMES) -> CostItemPublic:
        return cls(
            day=item.day,
            kind=item.kind,
            label=names.in_text(item.label, item.engineer),
            hours=item.hours,
            km=item.km,
            trips=item.trips,
            units=item.units,
            part_number=item.part_number,
            cost=MoneyPublic.of(item.cost) if item.cost is not None else None,
            price=MoneyPublic.of(item.price),
            estimated=item.estimated,
        )


class CostTotalsPublic(PublicModel):
    """Amounts per currency; ``value``: everything at the contract's rates."""

    tickets: int
    labour_hours: Decimal
    travel_hours: Decimal
    travel_km: Decimal
    trips: int
    parts_units: int
    parts_cost: list[MoneyPublic]
    labour_value: list[MoneyPublic]
    travel_value: list[MoneyPublic]
    parts_value: list[MoneyPublic]
    value: list[MoneyPublic]

    @classmethod
    def of(cls, totals: CostTotals) -> CostTotalsPublic:
        return cls(
            tickets=totals.tickets,
            labour_hours=totals.labour_hours,
            travel_hours=totals.travel_hours,
            travel_km=totals.travel_km,
            trips=totals.trips,
            parts_units=totals.parts_units,
            parts_cost=MoneyPublic.all(totals.parts_cost),
            labour_value=MoneyPublic.all(totals.labour_value),
            travel_value=MoneyPublic.all(totals.travel_value),
            parts_value=MoneyPublic.all(totals.parts_value),
            value=MoneyPublic.all(totals.value),
        )


class PricingPublic(PublicModel):
    currency: str
    labour_rate_per_hour: Decimal
    travel_rate_per_hour: Decimal
    travel_rate_per_km: Decimal
    travel_flat_per_trip: Decimal | None
    parts_markup_percent: Decimal

    @classmethod
    def of(cls, pricing: ContractPricing) -> PricingPublic:
        return cls(**pricing.model_dump())


class TicketCostDetailPublic(PublicModel):
    """For the service team: every item, the totals, the entries and the contract's rates."""

    items: list[CostItemPublic]
    totals: CostTotalsPublic
    labour_estimated: bool
    travel_unrecorded: bool = Field(
        description="Travel is charged by time and distance and none is recorded yet"
    )
    entries: list[CostEntryPublic]
    pricing: PricingPublic


class TicketCostsPublic(PublicModel):
    """``summary`` says in words what the customer pays; ``charged`` is that amount per
    currency (empty: nothing). ``detail`` is for the service team only (null for customers)."""

    ticket_id: int
    number: str
    contract_number: str
    under_warranty: bool
    summary: str
    charged: list[MoneyPublic]
    detail: TicketCostDetailPublic | None


class CostSplitPublic(PublicModel):
    """Warranty work (free to the customer: its value is the service's cost) and billable."""

    warranty: CostTotalsPublic
    billable: CostTotalsPublic

    @classmethod
    def of(cls, split: CostSplit) -> CostSplitPublic:
        return cls(
            warranty=CostTotalsPublic.of(split.warranty),
            billable=CostTotalsPublic.of(split.billable),
        )


class CostGroupPublic(PublicModel):
    key: str
    label: str
    figures: CostSplitPublic


class ServiceCostsPublic(PublicModel):
    """Days ``first_day``-``last_day`` (included) in ``timezone``."""

    group_by: CostDimension
    first_day: date
    last_day: date
    timezone: str
    total: CostSplitPublic
    groups: list[CostGroupPublic]

    @classmethod
    def of(cls, breakdown: CostBreakdown, *, timezone: str) -> ServiceCostsPublic:
        return cls(
            group_by=breakdown.dimension,
            first_day=breakdown.first_day,
            last_day=breakdown.last_day,
            timezone=timezone,
            total=CostSplitPublic.of(breakdown.total),
            groups=[
                CostGroupPublic(
                    key=g.key.key, label=g.key.label, figures=CostSplitPublic.of(g.split)
                )
                for g in breakdown.groups
            ],
        )
