"""Contract pricing in the plant file: defaults for a contract that says nothing, and the
shipped customers' own terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from models.plant import Contract, ContractPricing, Plant


def test_a_contract_without_pricing_gets_the_defaults() -> None:
    pricing = Contract(number="SC-1").pricing
    assert pricing == ContractPricing()
    assert pricing.currency == "EUR"
    assert pricing.labour_rate_per_hour == Decimal("95.00")
    assert pricing.travel_flat_per_trip is None
    assert pricing.parts_markup_percent == Decimal("20")


def test_the_shipped_plant_prices_each_customer_by_its_contract(plant: Plant) -> None:
    pricing = {c.id: c.contract.pricing for c in plant.customers}
    assert pricing["nordbrau"].labour_rate_per_hour == Decimal("98")
    assert pricing["nordbrau"].travel_rate_per_km == Decimal("0.65")
    assert pricing["alpenpack"].currency == "CHF"
    assert pricing["alpenpack"].travel_flat_per_trip == Decimal("420")


@pytest.mark.parametrize(
    "bad",
    [
        {"currency": "euro"},
        {"labour_rate_per_hour": -1},
        {"parts_markup_percent": -5},
        {"travel_flat_per_trip": -10},
        {"labour_rate": 90},
    ],
)
def test_bad_pricing_fails_loudly(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ContractPricing.model_validate(bad)
