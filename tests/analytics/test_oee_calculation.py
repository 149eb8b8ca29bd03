"""Machine and line OEE over scripted shifts, against figures worked out by hand.

Unless a test says otherwise: counters are read every 30 s, the machine makes
50 good and 2 rejected parts per 30 s while running, product 1 has an ideal
cycle of 0.5 s (so 52 parts ideally take 26 s of every 30 s: P = 26/30).
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.oee_calculation import OeeRules, machine_oee
from models.intervals import Interval
from models.states import DEFAULT_STATE_CATEGORIES
from tests.analytics.telemetry_factories import (
    ABORTED,
    IDLE,
    STOPPED,
    SUSPENDED,
    Counters,
    at,
    condition_model,
    halted,
    running,
    script_readings,
    series_from,
    shift,
)

RULES = OeeRules(
    state_categories=DEFAULT_STATE_CATEGORIES,
    ideal_cycle_s={1: 0.5, 2: 0.75},
    micro_stop_threshold_s=120,
    max_sample_gap_s=120,
)
PRODUCT_1 = [(at(5, 50), 1)]


def test_shift_with_a_break_and_a_breakdown() -> None:
    early = shift(at(6), at(14), (at(10), at(10, 30)))
    readings = script_readings(
        "m1",
        [
            running(at(5, 50), at(8)),
            halted(at(8), at(8, 45), ABORTED),
            running(at(8, 45), at(10)),
            halted(at(10), at(10, 30), IDLE),  # the machine waits out the lunch break
            running(at(10, 30), at(14, 5)),
        ],
        products=PRODUCT_1,
    )

    result = machine_oee(series_from("m1", readings), early, RULES, data_end=at(14, 5))

    planned_busy = 8 * 3600 - 30 * 60  # the break is planned downtime, not a loss
    breakdown = 45 * 60
    running_s = planned_busy - breakdown
    steps = running_s / 30
    assert (result.planned_busy_s, result.breakdown_s, result.running_s) == (
        planned_busy,
        breakdown,
        running_s,
    )
    assert result.idle_s == 0 and result.unknown_s == 0
    assert result.good_count == pytest.approx(steps * 50)
    assert result.reject_count == pytest.approx(steps * 2)
    assert result.ideal_output_s == pytest.approx(steps * 52 * 0.5)
    assert result.availability == pytest.approx(running_s / planned_busy)  # 0.9
    assert result.performance == pytest.approx(26 / 30)
    assert result.quality == pytest.approx(50 / 52)
    assert result.oee == pytest.approx(0.9 * 26 / 30 * 50 / 52)
    assert not result.performance_flagged


def test_micro_stops_cost_performance_not_availability() -> None:
    window = shift(at(6), at(8))
    readings = script_readings(
        "m1",
        [
            running(at(5, 50), at(6, 30)),
            halted(at(6, 30), at(6, 31), SUSPENDED),  # 60 s: a micro-stop
            running(at(6, 31), at(7)),
            halted(at(7), at(7, 5), SUSPENDED),  # 300 s: a real stop
            running(at(7, 5), at(8, 5)),
        ],
        products=PRODUCT_1,
    )

    result = machine_oee(series_from("m1", readings), window, RULES, data_end=at(8, 5))

    producing = 7200 - 60 - 300
    assert result.stop_s == 300
    assert result.running_s == 7200 - 300  # the micro-stop stays in running time
    assert result.availability == pytest.approx((7200 - 300) / 7200)
    assert result.performance == pytest.approx(producing / 30 * 52 * 0.5 / (7200 - 300))


def test_counter_rollover_and_reset_lose_no_parts() -> None:
    window = shift(at(6), at(8))
    readings = script_readings(
        "m1",
        [running(at(5, 50), at(8, 5))],
        products=PRODUCT_1,
        counters=Counters(start=2**32 - 120, reset_after=at(7)),
    )

    result = machine_oee(series_from("m1", readings), window, RULES, data_end=at(8, 5))

    assert result.good_count == pytest.approx(7200 / 30 * 50)
    assert result.reject_count == pytest.approx(7200 / 30 * 2)


def test_a_data_gap_is_unknown_time_neither_credited_nor_blamed() -> None:
    window = shift(at(6), at(8))
    readings = script_readings(
        "m1",
        [running(at(5, 50), at(8, 5))],
        products=PRODUCT_1,
        gaps=[Interval(at(7), at(7, 30))],  # the collector lost the line for 30 minutes
    )

    result = machine_oee(series_from("m1", readings), window, RULES, data_end=at(8, 5))

    seen = 7200 - 1800
    assert result.unknown_s == 1800
    assert result.planned_busy_s == seen
    assert result.availability == 1.0
    # Parts counted across the gap are left out with the gap's time.
    assert result.good_count == pytest.approx(seen / 30 * 50)
    assert result.performance == pytest.approx(26 / 30)


def test_a_stopped_machine_reporting_counters_on_change_is_not_a_data_gap() -> None:
    window = shift(at(6), at(8))
    scripted = script_readings(
        "m1",
        [
            running(at(5, 50), at(7)),
            halted(at(7), at(7, 30), ABORTED),
            running(at(7, 30), at(8, 5)),
        ],
        products=PRODUCT_1,
        condition=condition_model(np.random.default_rng(0)),
    )
    last: dict[str, float] = {}
    on_change = []
    for reading in scripted:
        if reading.signal in {"good_count", "reject_count"}:
            if last.get(reading.signal) == reading.value:
                continue  # an OPC UA subscription sends nothing while a counter stands
            last[reading.signal] = reading.value
        on_change.append(reading)

    result = machine_oee(series_from("m1", on_change), window, RULES, data_end=at(8, 5))

    # Vibration and temperature kept coming: the breakdown is seen, not unknown.
    assert (result.breakdown_s, result.unknown_s) == (1800, 0)
    assert result.availability == pytest.approx(5400 / 7200)


def test_no_data_at_all_is_all_unknown() -> None:
    window = shift(at(6), at(8))
    result = machine_oee(series_from("m1", []), window, RULES, data_end=at(8))
    assert (result.unknown_s, result.planned_busy_s, result.oee) == (7200, 0, 0)


def test_two_products_each_rated_by_its_own_ideal_cycle() -> None:
    window = shift(at(6), at(8))
    readings = script_readings(
        "m1",
        [
            running(at(5, 50), at(7)),
            halted(at(7), at(7, 10), STOPPED),  # changeover: setup time
            running(at(7, 10), at(8, 5), good=36, reject=0),
        ],
        products=[(at(5, 50), 1), (at(7, 5), 2)],
    )

    result = machine_oee(series_from("m1", readings), window, RULES, data_end=at(8, 5))

    ideal_product_1 = 3600 / 30 * 52 * 0.5  # 06:00-07:00
    ideal_product_2 = 3000 / 30 * 36 * 0.75  # 07:10-08:00
    assert result.setup_s == 600
    assert result.ideal_output_s == pytest.approx(ideal_product_1 + ideal_product_2)
    assert result.performance == pytest.approx((ideal_product_1 + ideal_product_2) / 6600)


def test_performance_above_100_percent_is_capped_and_flagged() -> None:
    window = shift(at(6), at(7))
    readings = script_readings(
        "m1", [running(at(5, 50), at(7, 5), good=80, reject=0)], products=PRODUCT_1
    )

    result = machine_oee(series_from("m1", readings), window, RULES, data_end=at(7, 5))

    assert 80 * 0.5 / 30 > 1  # what the data claims
    assert result.performance == 1.0
    assert result.performance_flagged
    assert result.oee == pytest.approx(result.availability * result.quality)


def test_a_running_shift_is_rated_on_its_elapsed_part() -> None:
    early = shift(at(6), at(14), (at(10), at(10, 30)))
    readings = script_readings("m1", [running(at(5, 50), at(11))], products=PRODUCT_1)

    result = machine_oee(series_from("m1", readings), early, RULES, data_end=at(11))

    assert result.shift_end == at(14)
    assert result.planned_busy_s == 4.5 * 3600
    assert result.good_count == pytest.approx(4.5 * 3600 / 30 * 50)


def test_readings_off_the_shift_boundary_share_their_parts() -> None:
    window = shift(at(6), at(7))
    offset = script_readings(
        "m1",
        [running(at(5, 50, 15), at(7, 10, 15))],  # readings at hh:mm:15 and hh:mm:45
        products=[(at(5, 50), 1)],
    )

    result = machine_oee(series_from("m1", offset), window, RULES, data_end=at(7))

    # Half of the reading at 06:00:15 and of the one at 07:00:15 fall in the shift.
    assert result.good_count == pytest.approx(3600 / 30 * 50)
    assert result.performance == pytest.approx(26 / 30)
