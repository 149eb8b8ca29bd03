"""Recommended safety stock per part and region, and parts consumption per month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from api.region_names import region_name
from api.schemas.base import PublicModel
from models.parts import PartClass
from models.stock_planning import StockRecommendation
from storage.parts_usage_reader import ConsumptionRecord


class StockRecommendationPublic(PublicModel):
    """``region``: the sites' region; ``pooled``: all regions against the central store.
    ``difference``: how much the safety stock should rise (negative: could fall)."""

    part_number: str
    description: str
    part_class: PartClass
    region: str
    region_name: str = Field(description="The region as people read it")
    pooled: bool
    installed_units: int
    units_used: int
    unit_years: float
    rate_per_unit_year: float
    lead_time_days: int
    lead_time_demand: float
    recommended_safety_stock: int
    current_safety_stock: int
    difference: int

    @classmethod
    def of(
        cls,
        item: StockRecommendation,
        *,
        description: str,
        part_class: PartClass,
        units_used: int,
        unit_years: float,
    ) -> StockRecommendationPublic:
        return cls(
            part_number=item.part_number,
            description=description,
            part_class=part_class,
            region=item.region,
            region_name=region_name(item.region),
            pooled=item.pooled,
            installed_units=item.installed_units,
            units_used=units_used,
            unit_years=round(unit_years, 3),
            rate_per_unit_year=round(item.rate_per_unit_year, 4),
            lead_time_days=item.lead_time_days,
            lead_time_demand=round(item.lead_time_demand, 4),
            recommended_safety_stock=item.recommended_safety_stock,
            current_safety_stock=item.current_safety_stock,
            difference=item.difference,
        )


class StockPlanPublic(PublicModel):
    """The plan and what it rests on: the service level, the history window, the priors."""

    service_level: float
    history_since: datetime
    history_until: datetime
    prior_rate_per_unit_year: dict[PartClass, float]
    prior_weight_unit_years: float
    recommendations: list[StockRecommendationPublic]


class ConsumptionRowPublic(PublicModel):
    """Units of a part used for a customer in a month, at the catalogue's unit cost."""

    month: str
    customer_id: str
    customer_name: str
    part_number: str
    description: str
    issued: int
    returned_unused: int
    used: int
    tickets: int
    unit_cost: Decimal
    cost: Decimal
    currency: str

    @classmethod
    def of(cls, record: ConsumptionRecord, customer_name: str) -> ConsumptionRowPublic:
        return cls(
            month=f"{record.month.year:04d}-{record.month.month:02d}",
            customer_id=record.customer_id,
            customer_name=customer_name,
            part_number=record.part_number,
            description=record.description,
            issued=record.issued,
            returned_unused=record.returned,
            used=record.used,
            tickets=record.tickets,
            unit_cost=record.unit_cost,
            cost=record.unit_cost * record.used,
            currency=record.currency,
        )


class ConsumptionPublic(PublicModel):
    """Months ``first_month``-``last_month`` (included) in ``timezone``."""

    first_month: date
    last_month: date
    timezone: str
    rows: list[ConsumptionRowPublic]
