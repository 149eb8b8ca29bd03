"""Taking the OEE ratios, alone and over several shifts."""

from __future__ import annotations

import pytest

from models.oee import OeeResult, OeeScope
from models.oee_ratios import OeeTotals, combine, rate
from tests.analytics.telemetry_factories import at


def _shift(
    start_hour: int, *, running_s: float, breakdown_s: float, good: float, ideal_output_s: float
) -> OeeResult:
    totals = OeeTotals(
        running_s=running_s,
        setup_s=0,
        breakdown_s=breakdown_s,
        stop_s=0,
        idle_s=0,
        unknown_s=0,
        good=good,
        reject=0,
        ideal_output_s=ideal_output_s,
    )
    return rate(
        totals,
        scope=OeeScope.MACHINE,
        subject_id="m1",
        name="early",
        start=at(start_hour),
        end=at(start_hour + 8),
    )


def test_nothing_planned_rates_zero_rather_than_failing() -> None:
    result = _shift(6, running_s=0, breakdown_s=0, good=0, ideal_output_s=0)
    assert (result.availability, result.performance, result.quality, result.oee) == (0, 0, 0, 0)
    assert not result.performance_flagged


def test_shifts_combine_by_adding_times_and_counts_not_by_averaging_ratios() -> None:
    long_good = _shift(6, running_s=9000, breakdown_s=1000, good=100, ideal_output_s=8100)
    short_bad = _shift(14, running_s=500, breakdown_s=500, good=10, ideal_output_s=250)

    day = combine([long_good, short_bad], name="2026-01-05")

    assert (day.shift_name, day.shift_start, day.shift_end) == ("2026-01-05", at(6), at(22))
    assert day.availability == pytest.approx(9500 / 11000)
    assert day.performance == pytest.approx(8350 / 9500)
    assert day.availability != pytest.approx((long_good.availability + short_bad.availability) / 2)


def test_a_day_with_a_flagged_shift_stays_flagged() -> None:
    normal = _shift(6, running_s=9000, breakdown_s=0, good=100, ideal_output_s=4000)
    suspect = _shift(14, running_s=100, breakdown_s=0, good=10, ideal_output_s=200)
    assert suspect.performance_flagged

    day = combine([normal, suspect], name="2026-01-05")

    assert day.performance < 1
    assert day.performance_flagged


def test_results_of_different_subjects_do_not_combine() -> None:
    machine = _shift(6, running_s=1, breakdown_s=0, good=1, ideal_output_s=1)
    other = rate(
        OeeTotals.of(machine),
        scope=OeeScope.LINE,
        subject_id="line-1",
        name="early",
        start=at(6),
        end=at(14),
    )
    with pytest.raises(ValueError, match="several subjects"):
        combine([machine, other], name="day")
