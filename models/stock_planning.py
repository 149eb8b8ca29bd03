"""Recommended safety stock per part and region, from the installed base, the
replacements seen on past tickets and the supplier's lead time. Pure.

1. **Replacement rate** λ per installed unit and year, per part over all regions
   (the same part wears the same way everywhere), as the mean of a Gamma prior
   updated by what was seen: λ = (λ₀·w + n) / (w + E), with n the units used on
   tickets in the history window, E the installed unit-years in it, λ₀ the prior
   rate of the part's class and w the prior's weight in unit-years. Little history
   leaves λ near λ₀; much history makes it n / E.
2. **Demand over the lead time** in a region: μ = λ · N · L / 365, with N the units
   installed in the region now and L the supplier's lead time in days.
3. **Recommended safety stock**: the smallest s with P(Poisson(μ) ≤ s) ≥ the service
   level, so a region's stock covers a lead time of demand that often. A critical
   part installed in a region keeps at least one unit there: a line waiting a whole
   lead time for it is not acceptable.
4. **Pooled**: the same for all regions together, against the central store's
   safety stock: what one store serving every region would need. Pooling needs
   fewer units than the regions' sum, at the price of a longer way to the site.

Like ``models.service_kpis``, the arithmetic lives with the vocabulary so that the
API, which may not reach into the analytics stage, computes it on read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from models.parts import PartClass

DAYS_PER_YEAR = 365.0
DEFAULT_SERVICE_LEVEL = 0.95
# What a part of each class is assumed to need per installed unit and year before
# there is history: wear parts are changed most, critical parts seldom fail.
PRIOR_RATE_PER_UNIT_YEAR: Mapping[PartClass, float] = {
    PartClass.CRITICAL: 0.10,
    PartClass.WEAR: 0.50,
    PartClass.COMMON: 0.20,
}
# How much the prior weighs, in installed unit-years: after two unit-years of
# history the observed rate counts as much as the assumption.
PRIOR_WEIGHT_UNIT_YEARS = 2.0
# Poisson quantiles are searched up to this many units; beyond, the level is a data error.
_MAX_UNITS = 1_000_000


@dataclass(frozen=True, slots=True)
class PartHistory:
    """What the installed base and the tickets say about one part over the history window.

    ``units_used``: units issued on tickets, net of unused returns; ``unit_years``:
    installed units times the years each was in a machine during the window.
    """

    part_number: str
    part_class: PartClass
    lead_time_days: int
    units_used: int
    unit_years: float


POOLED = "all regions"
# Sites and stores without a region are planned together under this name.
NO_REGION = "(no region)"


@dataclass(frozen=True, slots=True)
class RegionalBase:
    """Units of a part installed in a region now, and the safety stock its stores hold.

    ``pooled``: all regions together, against the central store's safety stock.
    """

    part_number: str
    region: str
    installed_units: int
    current_safety_stock: int
    pooled: bool = False


@dataclass(frozen=True, slots=True)
class StockRecommendation:
    part_number: str
    region: str
    installed_units: int
    rate_per_unit_year: float
    lead_time_days: int
    lead_time_demand: float
    recommended_safety_stock: int
    current_safety_stock: int
    pooled: bool = False

    @property
    def difference(self) -> int:
        """How many units the region's safety stock should rise (negative: fall)."""
        return self.recommended_safety_stock - self.current_safety_stock


def replacement_rate(
    history: PartHistory, *, prior_weight: float = PRIOR_WEIGHT_UNIT_YEARS
) -> float:
    """Units needed per installed unit and year: the class prior updated by the history."""
    prior = PRIOR_RATE_PER_UNIT_YEAR[history.part_class]
    return (prior * prior_weight + max(0, history.units_used)) / (
        prior_weight + max(0.0, history.unit_years)
    )


def lead_time_demand(rate: float, installed_units: int, lead_time_days: int) -> float:
    """Expected units a region needs while a supplier order is on its way."""
    return rate * max(0, installed_units) * max(0, lead_time_days) / DAYS_PER_YEAR


def poisson_quantile(mean: float, service_level: float) -> int:
    """The smallest s with P(X ≤ s) ≥ ``service_level`` for X ~ Poisson(``mean``).

    Terms are summed in log space: e^-mean underflows for large means.
    """
    if not 0 < service_level < 1:
        raise ValueError(f"the service level must lie between 0 and 1, not {service_level}")
    if mean <= 0:
        return 0
    log_mean = math.log(mean)
    cumulative = 0.0
    for units in range(_MAX_UNITS):
        cumulative += math.exp(-mean + units * log_mean - math.lgamma(units + 1))
        # Float sums of many terms can stop a hair short of 1: the tail is then exhausted.
        if cumulative >= service_level or (units > mean and cumulative >= service_level - 1e-12):
            return units
    raise ValueError(f"a lead-time demand of {mean} units is beyond any stock")


def recommend(
    history: PartHistory,
    base: RegionalBase,
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
) -> StockRecommendation:
    """The recommended safety stock of one part in one region."""
    rate = replacement_rate(history)
    demand = lead_time_demand(rate, base.installed_units, history.lead_time_days)
    units = poisson_quantile(demand, service_level)
    if history.part_class is PartClass.CRITICAL and base.installed_units > 0:
        units = max(units, 1)
    return StockRecommendation(
        part_number=history.part_number,
        region=base.region,
        installed_units=base.installed_units,
        rate_per_unit_year=rate,
        lead_time_days=history.lead_time_days,
        lead_time_demand=demand,
        recommended_safety_stock=units,
        current_safety_stock=base.current_safety_stock,
        pooled=base.pooled,
    )


def regional_bases(
    installed: Iterable[tuple[str, str, int]],
    regional_safety_stock: Iterable[tuple[str, str, int]],
    central_safety_stock: Iterable[tuple[str, int]],
) -> list[RegionalBase]:
    """Per part and region: the units installed there (``(part, region, units)`` rows)
    and the safety stock of its stores (``(part, region, safety stock)`` rows, regional
    stores and vans); and per part the pooled base against the central store."""
    units: dict[tuple[str, str], int] = {}
    stock: dict[tuple[str, str], int] = {}
    for part, region, count in installed:
        units[part, region] = units.get((part, region), 0) + count
    for part, region, count in regional_safety_stock:
        stock[part, region] = stock.get((part, region), 0) + count
    central: dict[str, int] = {}
    for part, count in central_safety_stock:
        central[part] = central.get(part, 0) + count
    bases = [
        RegionalBase(part, region, units.get((part, region), 0), stock.get((part, region), 0))
        for part, region in sorted(units.keys() | stock.keys())
    ]
    for part in sorted({part for part, _ in units} | central.keys()):
        total = sum(count for (p, _), count in units.items() if p == part)
        bases.append(RegionalBase(part, POOLED, total, central.get(part, 0), pooled=True))
    return bases


def stock_plan(
    histories: Iterable[PartHistory],
    bases: Sequence[RegionalBase],
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
) -> list[StockRecommendation]:
    """A recommendation for every part and region that has installed units or safety
    stock, by part number, then its regions, then the pooled figure."""
    by_part = {history.part_number: history for history in histories}
    plan = [
        recommend(by_part[base.part_number], base, service_level=service_level)
        for base in bases
        if base.part_number in by_part and (base.installed_units or base.current_safety_stock)
    ]
    return sorted(plan, key=lambda r: (r.part_number, r.pooled, r.region))
