"""Recommended safety stock: the prior-weighted replacement rate, the lead-time demand and
the Poisson quantile at the service level."""

from __future__ import annotations

import math

import pytest

from models.parts import PartClass
from models.stock_planning import (
    POOLED,
    PRIOR_RATE_PER_UNIT_YEAR,
    PartHistory,
    RegionalBase,
    lead_time_demand,
    poisson_quantile,
    recommend,
    regional_bases,
    replacement_rate,
    stock_plan,
)


def history(**changes: object) -> PartHistory:
    base: dict[str, object] = {
        "part_number": "FIL12-VALVE-SEAL",
        "part_class": PartClass.WEAR,
        "lead_time_days": 73,
        "units_used": 0,
        "unit_years": 0.0,
    }
    return PartHistory(**(base | changes))  # type: ignore[arg-type]


def poisson_cdf(mean: float, units: int) -> float:
    return sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(units + 1))


def test_without_history_the_rate_is_the_class_prior() -> None:
    for part_class, prior in PRIOR_RATE_PER_UNIT_YEAR.items():
        assert replacement_rate(history(part_class=part_class)) == pytest.approx(prior)


def test_much_history_makes_the_rate_the_observed_one() -> None:
    # 300 units used over 100 installed unit-years: 3 per unit-year, the prior all but gone.
    rate = replacement_rate(history(units_used=300, unit_years=100.0))
    assert rate == pytest.approx((0.5 * 2 + 300) / 102)
    assert 2.9 < rate < 3.0


def test_little_history_moves_the_rate_only_part_of_the_way() -> None:
    # One failure in half a unit-year would say 2 per year; the prior holds it near 0.6.
    rate = replacement_rate(history(units_used=1, unit_years=0.5))
    assert rate == pytest.approx((0.5 * 2 + 1) / 2.5)


def test_lead_time_demand_scales_with_units_and_lead_time() -> None:
    assert lead_time_demand(0.5, 10, 73) == pytest.approx(1.0)
    assert lead_time_demand(0.5, 0, 73) == 0
    assert lead_time_demand(0.5, 10, 0) == 0


@pytest.mark.parametrize("mean", [0.01, 0.3, 1.0, 2.5, 7.0, 40.0])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_the_quantile_is_the_smallest_stock_meeting_the_level(mean: float, level: float) -> None:
    units = poisson_quantile(mean, level)
    assert poisson_cdf(mean, units) >= level
    if units > 0:
        assert poisson_cdf(mean, units - 1) < level


def test_known_quantiles() -> None:
    assert poisson_quantile(1.0, 0.95) == 3  # P(X≤2) = 0.920, P(X≤3) = 0.981
    assert poisson_quantile(0.05, 0.95) == 0  # e^-0.05 = 0.951
    assert poisson_quantile(0.06, 0.95) == 1
    assert poisson_quantile(0.0, 0.95) == 0


def test_large_means_do_not_underflow() -> None:
    units = poisson_quantile(2000.0, 0.95)
    # The normal approximation: mean + 1.645 sd.
    assert abs(units - (2000 + 1.645 * math.sqrt(2000))) < 3


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_a_service_level_outside_zero_and_one_is_refused(level: float) -> None:
    with pytest.raises(ValueError, match="service level"):
        poisson_quantile(1.0, level)


def test_the_recommendation_covers_the_regions_lead_time_demand() -> None:
    # 10 valve seal sets at the prior 0.5 per year, 73 days: 1 set expected, 3 cover 95 %.
    result = recommend(history(), RegionalBase("FIL12-VALVE-SEAL", "north-germany", 10, 4))
    assert result.lead_time_demand == pytest.approx(1.0)
    assert result.recommended_safety_stock == 3
    assert result.difference == -1


def test_a_higher_service_level_asks_for_more() -> None:
    base = RegionalBase("FIL12-VALVE-SEAL", "north-germany", 10, 0)
    low = recommend(history(), base, service_level=0.8).recommended_safety_stock
    high = recommend(history(), base, service_level=0.99).recommended_safety_stock
    assert low < high


def test_a_critical_part_installed_in_a_region_keeps_one_unit_there() -> None:
    bearing = history(part_number="FIL12-BRG-KIT", part_class=PartClass.CRITICAL, lead_time_days=21)
    # Two bearing kits at 0.1 per year over three weeks: 0.012 expected, the quantile says 0.
    result = recommend(bearing, RegionalBase("FIL12-BRG-KIT", "north-germany", 2, 0))
    assert result.lead_time_demand < 0.05
    assert result.recommended_safety_stock == 1
    none_installed = recommend(bearing, RegionalBase("FIL12-BRG-KIT", "south-germany", 0, 2))
    assert none_installed.recommended_safety_stock == 0
    assert none_installed.difference == -2


def test_more_failures_seen_raise_the_recommendation() -> None:
    base = RegionalBase("FIL12-VALVE-SEAL", "north-germany", 10, 0)
    quiet = recommend(history(units_used=0, unit_years=20.0), base)
    busy = recommend(history(units_used=40, unit_years=20.0), base)
    assert busy.rate_per_unit_year > quiet.rate_per_unit_year
    assert busy.recommended_safety_stock > quiet.recommended_safety_stock


def test_the_plan_lists_regions_with_units_or_stock_in_order() -> None:
    seals = history()
    sensor = history(part_number="SENS-PX-M18", part_class=PartClass.COMMON, lead_time_days=5)
    bases = [
        RegionalBase("SENS-PX-M18", "switzerland", 1, 4),
        RegionalBase("FIL12-VALVE-SEAL", "switzerland", 0, 0),
        RegionalBase("FIL12-VALVE-SEAL", "north-germany", 2, 4),
        RegionalBase("UNKNOWN-PART", "north-germany", 2, 4),
    ]
    plan = stock_plan([seals, sensor], bases)
    assert [(r.part_number, r.region) for r in plan] == [
        ("FIL12-VALVE-SEAL", "north-germany"),
        ("SENS-PX-M18", "switzerland"),
    ]


def test_regional_bases_sum_machines_and_stores_per_region_and_pool_the_regions() -> None:
    installed = [
        ("FIL12-BRG-KIT", "north-germany", 1),
        ("FIL12-BRG-KIT", "north-germany", 1),
        ("FIL12-BRG-KIT", "switzerland", 1),
    ]
    regional = [("FIL12-BRG-KIT", "north-germany", 1), ("FIL12-BRG-KIT", "north-germany", 2)]
    central = [("FIL12-BRG-KIT", 2), ("LAB2-GLUE-PUMP", 2)]
    bases = regional_bases(installed, regional, central)
    assert bases == [
        RegionalBase("FIL12-BRG-KIT", "north-germany", 2, 3),
        RegionalBase("FIL12-BRG-KIT", "switzerland", 1, 0),
        RegionalBase("FIL12-BRG-KIT", POOLED, 3, 2, pooled=True),
        RegionalBase("LAB2-GLUE-PUMP", POOLED, 0, 2, pooled=True),
    ]


def test_pooling_the_regions_needs_fewer_units_than_their_sum() -> None:
    seals = history()
    bases = regional_bases(
        [("FIL12-VALVE-SEAL", region, 10) for region in ("north", "south", "east", "west")],
        [],
        [],
    )
    plan = stock_plan([seals], bases)
    regions = [r for r in plan if not r.pooled]
    (pooled,) = [r for r in plan if r.pooled]
    assert plan[-1] is pooled
    assert pooled.lead_time_demand == pytest.approx(sum(r.lead_time_demand for r in regions))
    assert pooled.recommended_safety_stock < sum(r.recommended_safety_stock for r in regions)
