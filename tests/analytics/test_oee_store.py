"""Reading stored OEE back over ranges and periods, and the stops of a range.

Shift results here are written straight to the stores; what is checked is how
the stores add them up: sums of times, counts and losses with the ratios taken
again, periods cut in the plant's local time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.oee import (
    DowntimeEvent,
    LossCategory,
    LossEntry,
    OeeResult,
    OeeScope,
    ShiftDowntime,
)
from models.oee_ratios import OeeTotals, rate
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.downtime_store import downtime_pareto, list_downtimes, replace_downtimes
from storage.oee_store import oee_by_period, oee_for_range, upsert_oee

pytestmark = pytest.mark.integration

BERLIN = "Europe/Berlin"


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _shift(
    start: datetime,
    *,
    running_s: float,
    breakdown_s: float,
    good: float,
    ideal_output_s: float,
    name: str = "early",
    subject: str = "m1",
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
        losses=(LossEntry(LossCategory.BREAKDOWNS, breakdown_s, 1 if breakdown_s else 0),),
    )
    return rate(
        totals,
        scope=OeeScope.MACHINE,
        subject_id=subject,
        name=name,
        start=start,
        end=start + timedelta(hours=8),
    )


async def test_a_range_adds_up_its_shifts_and_never_averages_ratios(db_pool: Pool) -> None:
    long_good = _shift(
        utc(1, 5, 5), running_s=9000, breakdown_s=1000, good=100, ideal_output_s=8100
    )
    short_bad = _shift(utc(1, 5, 13), running_s=500, breakdown_s=500, good=10, ideal_output_s=250)
    outside = _shift(utc(1, 6, 5), running_s=1, breakdown_s=0, good=1, ideal_output_s=1)
    async with db_pool.connection() as conn:
        await upsert_oee(conn, results=[long_good, short_bad, outside])
        [day] = await oee_for_range(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1", "m2"],  # m2 has no results: absent
            since=utc(1, 5, 0),
            until=utc(1, 6, 0),
            customer_scope=EVERY_CUSTOMER,
        )
    assert (day.subject_id, day.shift_name, day.shift_start, day.shift_end) == (
        "m1",
        "range",
        utc(1, 5, 0),
        utc(1, 6, 0),
    )
    assert day.availability == pytest.approx((9000 + 500) / (10000 + 1000))
    assert day.performance == pytest.approx((8100 + 250) / (9000 + 500))
    assert day.availability != pytest.approx((0.9 + 0.5) / 2)
    assert day.loss(LossCategory.BREAKDOWNS) == LossEntry(LossCategory.BREAKDOWNS, 1500, 2)


async def test_a_flagged_shift_flags_its_range(db_pool: Pool) -> None:
    normal = _shift(utc(1, 5, 5), running_s=9000, breakdown_s=0, good=100, ideal_output_s=4000)
    suspect = _shift(utc(1, 5, 13), running_s=100, breakdown_s=0, good=10, ideal_output_s=200)
    assert suspect.performance_flagged
    async with db_pool.connection() as conn:
        await upsert_oee(conn, results=[normal, suspect])
        [day] = await oee_for_range(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=utc(1, 5, 0),
            until=utc(1, 6, 0),
            customer_scope=EVERY_CUSTOMER,
        )
    assert day.performance < 1
    assert day.performance_flagged


async def test_periods_are_cut_in_the_plants_local_time(db_pool: Pool) -> None:
    # Berlin in March: UTC+1 until Sunday 29 March 01:00 UTC, UTC+2 after.
    saturday_night = _shift(  # 22:00 local on Saturday: belongs to Saturday
        utc(3, 28, 21), running_s=100, breakdown_s=0, good=1, ideal_output_s=50, name="night"
    )
    sunday_early = _shift(  # 06:00 local on Sunday
        utc(3, 29, 4), running_s=200, breakdown_s=0, good=1, ideal_output_s=50
    )
    monday_early = _shift(utc(3, 30, 4), running_s=400, breakdown_s=0, good=1, ideal_output_s=50)
    async with db_pool.connection() as conn:
        await upsert_oee(conn, results=[saturday_night, sunday_early, monday_early])
        days = await oee_by_period(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=utc(3, 27, 23),
            until=utc(4, 1, 0),
            period="day",
            timezone=BERLIN,
            customer_scope=EVERY_CUSTOMER,
        )
        weeks = await oee_by_period(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=utc(3, 27, 23),
            until=utc(4, 1, 0),
            period="week",
            timezone=BERLIN,
            customer_scope=EVERY_CUSTOMER,
        )
        months = await oee_by_period(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=utc(3, 1, 0),
            until=utc(4, 1, 0),
            period="month",
            timezone=BERLIN,
            customer_scope=EVERY_CUSTOMER,
        )
        shifts = await oee_by_period(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=utc(3, 29, 0),
            until=utc(4, 1, 0),
            period="shift",
            timezone=BERLIN,
            customer_scope=EVERY_CUSTOMER,
        )
    assert [(d.shift_name, d.shift_start, d.shift_end, d.running_s) for d in days] == [
        ("2026-03-28", utc(3, 27, 23), utc(3, 28, 23), 100),
        ("2026-03-29", utc(3, 28, 23), utc(3, 29, 22), 200),  # 23 hours: spring forward
        ("2026-03-30", utc(3, 29, 22), utc(3, 30, 22), 400),
    ]
    # ISO weeks start on Monday: Saturday and Sunday are week 13, Monday week 14.
    assert [(w.shift_name, w.running_s) for w in weeks] == [("2026-W13", 300), ("2026-W14", 400)]
    assert [(m.shift_name, m.shift_start, m.shift_end) for m in months] == [
        ("2026-03", utc(2, 28, 23), utc(3, 31, 22))
    ]
    assert shifts == [sunday_early, monday_early]


def _stop(
    shift_start: datetime, start: datetime, end: datetime, lost: float, *, counted: bool = True
) -> ShiftDowntime:
    event = DowntimeEvent("m1", start, end, "breakdown", 201, "Bearing", lost)
    return ShiftDowntime(shift_start, event, counted)


async def test_stops_are_listed_oldest_first_and_joined_across_shifts(db_pool: Pool) -> None:
    early, late = utc(1, 5, 5), utc(1, 5, 13)
    async with db_pool.connection() as conn:
        await replace_downtimes(
            conn,
            machine_id="m1",
            shift_starts=[early],
            downtimes=[
                _stop(early, utc(1, 5, 6), utc(1, 5, 6, 10), 600),
                _stop(early, utc(1, 5, 12, 30), utc(1, 5, 13, 30), 1800),
            ],
        )
        await replace_downtimes(
            conn,
            machine_id="m1",
            shift_starts=[late],
            downtimes=[_stop(late, utc(1, 5, 12, 30), utc(1, 5, 13, 30), 1800, counted=False)],
        )
        listed = await list_downtimes(
            conn, machine_ids=["m1"], since=early, until=utc(1, 6, 0), scope=EVERY_CUSTOMER
        )
        first_only = await list_downtimes(
            conn, machine_ids=["m1"], since=early, until=utc(1, 6, 0), limit=1, scope=EVERY_CUSTOMER
        )
        pareto = await downtime_pareto(
            conn, machine_ids=["m1"], since=early, until=utc(1, 6, 0), scope=EVERY_CUSTOMER
        )
        # Recomputing the early shift replaces its stops and leaves the late shift's alone.
        await replace_downtimes(conn, machine_id="m1", shift_starts=[early], downtimes=[])
        after = await list_downtimes(
            conn, machine_ids=["m1"], since=early, until=utc(1, 6, 0), scope=EVERY_CUSTOMER
        )
    assert [(s.start, s.end, s.seconds) for s in listed] == [
        (utc(1, 5, 6), utc(1, 5, 6, 10), 600),
        (utc(1, 5, 12, 30), utc(1, 5, 13, 30), 3600),
    ]
    assert first_only == listed[:1]
    assert [(p.reason, p.seconds, p.count) for p in pareto] == [("Bearing", 600 + 3600, 2)]
    assert [(s.start, s.seconds) for s in after] == [(utc(1, 5, 12, 30), 1800)]
