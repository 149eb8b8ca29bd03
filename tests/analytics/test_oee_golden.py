"""Golden scenarios: scripted shifts through the whole analytics path (telemetry in
TimescaleDB, the SQL tallies, the analytics cycle, the stores), against figures
worked out by hand in each test.

Unless a test says otherwise (see ``golden_plant``): the early shift of Monday
5 January 2026 runs 05:00-13:00 UTC with lunch 09:00-09:30 UTC, so

    planned time = 8 h - 30 min = 27000 s;

counters are read every 30 s; while running, machine g1 makes 50 good and 2
rejected parts per 30 s of product 1 (ideal cycle 0.5 s), so 52 parts ideally
take 26 s of every 30 s: P = 26/30 when nothing else happens. The machine
idles through lunch. The cycle runs at 13:05, in the late shift; the data are
marked as the collectors' writer marks them, so the cycle computes every
shift they touch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.analytics_job import AnalyticsReport, run_analytics_cycle
from models.intervals import Interval
from models.oee import LossCategory, OeeResult, OeeScope
from models.oee_settings import MicroStopPolicy, PlannedDowntime
from models.plant import Plant
from models.readings import Reading
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.downtime_store import downtime_pareto, list_downtimes
from storage.oee_store import list_oee
from storage.reliability_store import machine_reliability
from tests.analytics.golden_plant import golden_plant
from tests.analytics.telemetry_factories import (
    ABORTED,
    IDLE,
    RESETTING,
    STOPPED,
    SUSPENDED,
    Counters,
    Phase,
    at,
    halted,
    insert_readings,
    running,
    script_readings,
)

pytestmark = pytest.mark.integration

NOW = at(13, 5)
PLANNED = 8 * 3600 - 30 * 60  # the early shift minus lunch
LUNCH = halted(at(9), at(9, 30), IDLE)
PRODUCT_1 = [(at(4, 50), 1)]


@pytest.fixture
def golden(plant: Plant) -> Plant:
    return golden_plant(plant)


async def _cycle(
    db_pool: Pool, plant: Plant, readings: list[Reading], *, now: datetime = NOW
) -> AnalyticsReport:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_readings(conn, readings, mark_late_data=True)
    return await run_analytics_cycle(db_pool, plant, now=now)


async def _shift(
    db_pool: Pool, start: datetime, *, scope: OeeScope = OeeScope.MACHINE, subject: str = "g1"
) -> OeeResult:
    async with db_pool.connection() as conn:
        results = await list_oee(
            conn,
            scope=scope,
            subject_ids=[subject],
            since=start,
            until=start.replace(minute=1),
            customer_scope=EVERY_CUSTOMER,
        )
    [result] = [r for r in results if r.shift_start == start]
    return result


def _losses(result: OeeResult) -> dict[LossCategory, tuple[float, float]]:
    """Seconds and counts of each loss, rounded off the float noise of the sums."""
    return {e.category: (round(e.seconds, 6), round(e.count, 6)) for e in result.losses}


def _loss_adds_up(result: OeeResult, ideal_good_s: float) -> None:
    """The six losses are the whole OEE loss: planned busy time minus the good parts'
    ideal time (with one product, OEE is exactly that ideal time over planned time)."""
    assert sum(e.seconds for e in result.losses) == pytest.approx(
        result.planned_busy_s - ideal_good_s
    )


async def test_shift_with_a_breakdown_and_rejects(db_pool: Pool, golden: Plant) -> None:
    readings = script_readings(
        "g1",
        [
            running(at(4, 50), at(7)),
            halted(at(7), at(7, 45), ABORTED),
            running(at(7, 45), at(9)),
            LUNCH,
            running(at(9, 30), NOW),
        ],
        products=PRODUCT_1,
        faults=[(at(4, 50), 0), (at(7), 201), (at(7, 45), 0)],
    )

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    breakdown = 45 * 60
    running_s = PLANNED - breakdown  # 24300
    steps = running_s / 30  # 810 counter readings while running
    assert (result.planned_busy_s, result.running_s, result.breakdown_s) == (
        PLANNED,
        running_s,
        breakdown,
    )
    assert (result.idle_s, result.unknown_s) == (0, 0)  # lunch is planned downtime
    assert (result.good_count, result.reject_count) == (steps * 50, steps * 2)
    assert result.ideal_output_s == pytest.approx(steps * 52 * 0.5)  # 21060
    assert result.availability == pytest.approx(24300 / 27000)
    assert result.performance == pytest.approx(21060 / 24300)  # = 26/30
    assert result.quality == pytest.approx(50 / 52)
    assert result.oee == pytest.approx(0.9 * 26 / 30 * 50 / 52)
    # Six big losses. The restart at 07:45 makes 180 s = 6 readings of start-up
    # rejects: 6 * 2 = 12 parts, ideally 12 * 0.5 = 6 s.
    startup = 6 * 2
    assert _losses(result) == {
        LossCategory.BREAKDOWNS: (2700, 1),
        LossCategory.SETUP_ADJUSTMENT: (0, 0),
        LossCategory.SMALL_STOPS: (0, 0),
        LossCategory.REDUCED_SPEED: (24300 - 21060, 0),
        LossCategory.STARTUP_REJECTS: (startup * 0.5, startup),
        LossCategory.PRODUCTION_REJECTS: ((1620 - startup) * 0.5, 1620 - startup),
    }
    _loss_adds_up(result, ideal_good_s=40500 * 0.5)
    assert result.oee == pytest.approx(40500 * 0.5 / 27000)

    async with db_pool.connection() as conn:
        stops = await list_downtimes(
            conn, machine_ids=["g1"], since=at(5), until=at(13), scope=EVERY_CUSTOMER
        )
        reliability = await machine_reliability(
            conn, machine_ids=["g1", "nobody"], since=at(5), until=at(13), scope=EVERY_CUSTOMER
        )
    assert [(s.start, s.end, s.category, s.fault_code, s.reason, s.seconds) for s in stops] == [
        (at(7), at(7, 45), "breakdown", 201, "Main drive bearing failure", 2700)
    ]
    # MTBF = running / failures = 24300 / 1; MTTR = breakdown time / failures = 2700 / 1.
    filler, nobody = reliability
    assert (filler.failures, filler.mtbf_s, filler.mttr_s) == (1, 24300, 2700)
    assert (nobody.failures, nobody.running_s, nobody.mtbf_s, nobody.mttr_s) == (0, 0, None, None)


MICRO_STOPS = [
    running(at(4, 50), at(6)),
    halted(at(6), at(6, 1), SUSPENDED),  # 60 s: micro-stop
    running(at(6, 1), at(7)),
    halted(at(7), at(7, 1), SUSPENDED),  # 60 s: micro-stop
    running(at(7, 1), at(8)),
    halted(at(8), at(8, 1), SUSPENDED),  # 60 s: micro-stop
    running(at(8, 1), at(9)),
    LUNCH,
    running(at(9, 30), at(11)),
    halted(at(11), at(11, 5), SUSPENDED),  # 300 s: over the 120 s threshold, a stop
    running(at(11, 5), NOW),
]
MICRO_STOP_FAULTS = [
    (at(6), 101),
    (at(6, 1), 0),
    (at(7), 101),
    (at(7, 1), 0),
    (at(8), 101),
    (at(8, 1), 0),
    (at(11), 102),  # not in the plant's fault table
    (at(11, 5), 0),
]
# Parts are made outside the stops: 27000 - 3 * 60 - 300 = 26520 s = 884 readings.
MICRO_STEPS = (PLANNED - 3 * 60 - 300) / 30
MICRO_IDEAL = MICRO_STEPS * 52 * 0.5  # 22984


async def test_micro_stops_cost_performance_under_tpm(db_pool: Pool, golden: Plant) -> None:
    readings = script_readings("g1", MICRO_STOPS, products=PRODUCT_1, faults=MICRO_STOP_FAULTS)

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    running_s = PLANNED - 300  # 26700: the three micro-stops stay in running time
    assert (result.running_s, result.stop_s) == (running_s, 300)
    assert result.availability == pytest.approx(26700 / 27000)
    assert result.performance == pytest.approx(22984 / 26700)
    assert _losses(result) == {
        LossCategory.BREAKDOWNS: (300, 1),
        LossCategory.SETUP_ADJUSTMENT: (0, 0),
        LossCategory.SMALL_STOPS: (180, 3),
        LossCategory.REDUCED_SPEED: (26700 - 180 - 22984, 0),  # 3536
        LossCategory.STARTUP_REJECTS: (0, 0),
        LossCategory.PRODUCTION_REJECTS: (MICRO_STEPS * 2 * 0.5, MICRO_STEPS * 2),
    }
    _loss_adds_up(result, ideal_good_s=MICRO_STEPS * 50 * 0.5)

    async with db_pool.connection() as conn:
        pareto = await downtime_pareto(
            conn, machine_ids=["g1"], since=at(5), until=at(13), scope=EVERY_CUSTOMER
        )
    assert [(p.reason, p.fault_code, p.seconds, p.count) for p in pareto] == [
        ("fault 102", 102, 300, 1),
        ("micro-stop: Infeed jam", 101, 180, 3),
    ]


async def test_micro_stops_are_unplanned_downtime_under_iso_22400(
    db_pool: Pool, plant: Plant
) -> None:
    iso = golden_plant(plant, policy=MicroStopPolicy.DOWNTIME)
    readings = script_readings("g1", MICRO_STOPS, products=PRODUCT_1, faults=MICRO_STOP_FAULTS)

    await _cycle(db_pool, iso, readings)

    result = await _shift(db_pool, at(5))
    running_s = PLANNED - 300 - 180  # 26520: every stop is downtime
    assert (result.running_s, result.stop_s) == (running_s, 480)
    assert result.availability == pytest.approx(26520 / 27000)
    assert result.performance == pytest.approx(22984 / 26520)
    # The same OEE as under TPM: the loss moves from P to A.
    assert result.oee == pytest.approx(MICRO_STEPS * 50 * 0.5 / 27000)
    assert result.loss(LossCategory.BREAKDOWNS).seconds == pytest.approx(300)
    assert result.loss(LossCategory.SMALL_STOPS).seconds == pytest.approx(180)
    assert result.loss(LossCategory.REDUCED_SPEED).seconds == pytest.approx(26520 - 22984)


async def test_changeover_between_two_products(db_pool: Pool, golden: Plant) -> None:
    readings = script_readings(
        "g1",
        [
            running(at(4, 50), at(8)),  # product 1
            halted(at(8), at(8, 10), STOPPED),  # changeover: STOPPED, then RESETTING
            halted(at(8, 10), at(8, 15), RESETTING),
            running(at(8, 15), at(8, 18), good=30, reject=8),  # product 2 settling in
            running(at(8, 18), at(9), good=36, reject=2),
            LUNCH,
            running(at(9, 30), NOW, good=36, reject=2),
        ],
        products=[(at(4, 50), 1), (at(8, 10), 2)],
    )

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    setup = 15 * 60
    # Product 1, 05:00-08:00: 360 readings of 50 + 2 parts at 0.5 s.
    p1_good, p1_reject, p1_ideal = 360 * 50, 360 * 2, 360 * 52 * 0.5  # 9360 s
    # Product 2 start-up, 08:15-08:18: 6 readings of 30 + 8 parts at 0.75 s.
    up_good, up_reject, up_ideal = 6 * 30, 6 * 8, 6 * 38 * 0.75  # 171 s
    # Product 2, 08:18-09:00 and 09:30-13:00: 84 + 420 readings of 36 + 2 parts.
    p2_good, p2_reject, p2_ideal = 504 * 36, 504 * 2, 504 * 38 * 0.75  # 14364 s
    good = p1_good + up_good + p2_good  # 36324
    reject = p1_reject + up_reject + p2_reject  # 1776
    ideal = p1_ideal + up_ideal + p2_ideal  # 23895
    assert (result.setup_s, result.running_s) == (setup, PLANNED - setup)
    assert (result.good_count, result.reject_count) == (good, reject)
    assert result.ideal_output_s == pytest.approx(ideal)
    assert result.availability == pytest.approx(26100 / 27000)
    assert result.performance == pytest.approx(23895 / 26100)
    assert result.quality == pytest.approx(36324 / (36324 + 1776))
    assert _losses(result) == {
        LossCategory.BREAKDOWNS: (0, 0),
        LossCategory.SETUP_ADJUSTMENT: (900, 1),  # STOPPED and RESETTING: one changeover
        LossCategory.SMALL_STOPS: (0, 0),
        LossCategory.REDUCED_SPEED: (26100 - 23895, 0),
        LossCategory.STARTUP_REJECTS: (48 * 0.75, 48),
        LossCategory.PRODUCTION_REJECTS: (720 * 0.5 + 1008 * 0.75, 720 + 1008),
    }
    _loss_adds_up(result, ideal_good_s=p1_good * 0.5 + (up_good + p2_good) * 0.75)

    async with db_pool.connection() as conn:
        pareto = await downtime_pareto(
            conn, machine_ids=["g1"], since=at(5), until=at(13), scope=EVERY_CUSTOMER
        )
    assert [(p.reason, p.fault_code, p.seconds, p.count) for p in pareto] == [
        ("changeover/setup", None, 900, 1)
    ]


async def test_a_planned_break_is_no_loss_and_parts_made_in_it_do_not_count(
    db_pool: Pool, golden: Plant
) -> None:
    # The machine idles through lunch on Monday, and runs through it on Tuesday.
    tuesday = datetime(2026, 1, 6, tzinfo=UTC)
    monday_data = script_readings(
        "g1", [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), at(13, 5))], products=PRODUCT_1
    )
    tuesday_data = script_readings(
        "g1",
        [running(at(4, 50, day=tuesday), at(13, 5, day=tuesday))],
        products=[(at(4, 50, day=tuesday), 1)],
    )

    await _cycle(db_pool, golden, [*monday_data, *tuesday_data], now=at(13, 5, day=tuesday))

    idling, working = await _shift(db_pool, at(5)), await _shift(db_pool, at(5, day=tuesday))
    for result in (idling, working):
        assert (result.planned_busy_s, result.running_s, result.idle_s) == (PLANNED, PLANNED, 0)
        assert result.availability == 1
        # Only parts of planned time count: 27000 s = 900 readings of 50 good parts.
        assert result.good_count == 900 * 50
        assert result.performance == pytest.approx(26 / 30)


async def test_planned_maintenance_is_planned_downtime_not_a_loss(
    db_pool: Pool, golden: Plant
) -> None:
    # Maintenance is planned 10:30-12:00 local (09:30-11:00 UTC), right after lunch.
    maintenance = PlannedDowntime(
        reason="planned maintenance",
        start=datetime(2026, 1, 5, 10, 30),
        end=datetime(2026, 1, 5, 12),
        lines=("gl",),
    )
    plant = golden.model_copy(update={"planned_downtime": (maintenance,)})
    readings = script_readings(
        "g1",
        [running(at(4, 50), at(9)), halted(at(9), at(11), IDLE), running(at(11), NOW)],
        products=PRODUCT_1,
    )

    await _cycle(db_pool, plant, readings)

    result = await _shift(db_pool, at(5))
    planned = PLANNED - 90 * 60  # 21600: lunch and maintenance are both planned downtime
    assert (result.planned_busy_s, result.running_s, result.idle_s) == (planned, planned, 0)
    assert result.availability == 1


async def test_counter_rollover_and_reset_lose_no_parts(db_pool: Pool, golden: Plant) -> None:
    # Both counters start 1000 short of 2**32: the good counter wraps after 20
    # readings (06:10), then the PLC resets both to 0 at 11:00.
    readings = script_readings(
        "g1",
        [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), NOW)],
        products=PRODUCT_1,
        counters=Counters(start=2**32 - 1000, reset_after=at(11)),
    )

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    steps = PLANNED / 30  # 900 readings while running
    assert (result.good_count, result.reject_count) == (steps * 50, steps * 2)
    assert result.performance == pytest.approx(26 / 30)


async def test_16_bit_counter_wrap_mid_shift_loses_no_parts(db_pool: Pool, plant: Plant) -> None:
    # The plant file declares g1's counters 16 bits wide. They start 19010 short of
    # 2**16: the good counter reads 65526 at 08:00 and 40 at 08:00:30 (380 readings
    # of 50 parts after 04:50), then the PLC resets both to 0 at 11:00.
    golden = golden_plant(plant, counter_bits=16)
    readings = script_readings(
        "g1",
        [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), NOW)],
        products=PRODUCT_1,
        counters=Counters(start=2**16 - 19010, reset_after=at(11), bits=16),
    )
    good = {r.time: r.value for r in readings if r.signal == "good_count"}
    assert (good[at(8)], good[at(8, 0, 30)]) == (65526, 40)

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    steps = PLANNED / 30  # 900 readings while running
    assert (result.good_count, result.reject_count) == (steps * 50, steps * 2)
    assert (result.planned_busy_s, result.running_s) == (PLANNED, PLANNED)
    assert result.availability == 1
    assert result.performance == pytest.approx(26 / 30)
    assert result.quality == pytest.approx(50 / 52)
    assert result.oee == pytest.approx(26 / 30 * 50 / 52)


@pytest.mark.parametrize(
    ("night_start", "night_end", "hours", "break_utc"),
    [
        # Spring: 28/29 March 2026 the clocks go 02:00 -> 03:00. The night shift runs
        # 22:00 CET (21:00 UTC) to 06:00 CEST (04:00 UTC): 7 hours. The 02:00 break
        # lies in the skipped hour and is read before the change: 01:00-01:30 UTC.
        (
            datetime(2026, 3, 28, 21, tzinfo=UTC),
            datetime(2026, 3, 29, 4, tzinfo=UTC),
            7,
            datetime(2026, 3, 29, 1, tzinfo=UTC),
        ),
        # Autumn: 24/25 October 2026 the clocks go 03:00 -> 02:00. 22:00 CEST (20:00
        # UTC) to 06:00 CET (05:00 UTC): 9 hours; the break is the first 02:00,
        # 00:00-00:30 UTC.
        (
            datetime(2026, 10, 24, 20, tzinfo=UTC),
            datetime(2026, 10, 25, 5, tzinfo=UTC),
            9,
            datetime(2026, 10, 25, 0, tzinfo=UTC),
        ),
    ],
)
async def test_night_shift_across_a_daylight_saving_change(
    db_pool: Pool,
    golden: Plant,
    night_start: datetime,
    night_end: datetime,
    hours: int,
    break_utc: datetime,
) -> None:
    before, after = night_start - timedelta(minutes=10), night_end + timedelta(minutes=5)
    break_end = break_utc + timedelta(minutes=30)
    readings = script_readings(
        "g1",
        [running(before, break_utc), halted(break_utc, break_end, IDLE), running(break_end, after)],
        products=[(before, 1)],
    )

    await _cycle(db_pool, golden, readings, now=after)

    night = await _shift(db_pool, night_start)
    planned = hours * 3600 - 30 * 60  # 23400 s in spring, 30600 s in autumn
    assert (night.shift_name, night.shift_end) == ("night", night_end)
    assert (night.planned_busy_s, night.running_s) == (planned, planned)
    assert night.good_count == planned / 30 * 50
    assert night.performance == pytest.approx(26 / 30)


async def test_a_collector_gap_is_unknown_time(db_pool: Pool, golden: Plant) -> None:
    # The collector lost the machine 07:00-07:30; it ran the whole time. A stop
    # inside the gap could not have been seen, so the gap is neither running nor stopped.
    readings = script_readings(
        "g1",
        [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), NOW)],
        products=PRODUCT_1,
        gaps=[Interval(at(7), at(7, 30))],
    )

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    seen = PLANNED - 30 * 60  # 25200 s the data vouches for
    assert (result.unknown_s, result.planned_busy_s, result.running_s) == (1800, seen, seen)
    assert result.availability == 1
    # Parts counted across the gap (the reading at 07:30 carries them) are left out.
    assert result.good_count == seen / 30 * 50
    assert result.performance == pytest.approx(26 / 30)


async def test_performance_above_100_percent_is_flagged_not_shown(
    db_pool: Pool, golden: Plant
) -> None:
    # 80 parts per 30 s at an ideal 0.5 s would take 40 s: the ideal cycle time in
    # the plant file must be wrong, or parts are counted twice.
    readings = script_readings(
        "g1",
        [
            running(at(4, 50), at(9), good=80, reject=0),
            LUNCH,
            running(at(9, 30), NOW, good=80, reject=0),
        ],
        products=PRODUCT_1,
    )

    await _cycle(db_pool, golden, readings)

    result = await _shift(db_pool, at(5))
    assert 80 * 0.5 / 30 > 1
    assert result.performance_flagged
    assert result.performance == 1
    assert result.oee == pytest.approx(result.availability * result.quality)


async def test_line_oee_by_output_and_by_machines(db_pool: Pool, plant: Plant) -> None:
    line = golden_plant(plant, machines=("filler", "capper", "labeller"))
    scripts: dict[str, list[Phase]] = {
        # The filler runs the whole shift and rejects 2 parts per reading.
        "filler": [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), NOW)],
        # The capper breaks down 07:00-07:20 and rejects 1 per reading.
        "capper": [
            running(at(4, 50), at(7), good=50, reject=1),
            halted(at(7), at(7, 20), ABORTED),
            running(at(7, 20), at(9), good=50, reject=1),
            LUNCH,
            running(at(9, 30), NOW, good=50, reject=1),
        ],
        # The labeller (the output) starves while the capper is down: SUSPENDED
        # 07:00-07:25, and rejects nothing.
        "labeller": [
            running(at(4, 50), at(7), good=48, reject=0),
            halted(at(7), at(7, 25), SUSPENDED),
            running(at(7, 25), at(9), good=48, reject=0),
            LUNCH,
            running(at(9, 30), NOW, good=48, reject=0),
        ],
    }
    readings = [
        r
        for machine, phases in scripts.items()
        for r in script_readings(machine, phases, products=PRODUCT_1)
    ]

    await _cycle(db_pool, line, readings)

    by_output = await _shift(db_pool, at(5), scope=OeeScope.LINE, subject="gl")
    together = await _shift(db_pool, at(5), scope=OeeScope.LINE_MACHINES, subject="gl")
    filler_steps = PLANNED / 30  # 900
    capper_steps = (PLANNED - 20 * 60) / 30  # 860
    labeller_steps = (PLANNED - 25 * 60) / 30  # 850
    good_out = labeller_steps * 48  # 40800
    rejects = filler_steps * 2 + capper_steps * 1  # 1800 + 860 = 2660
    # By output: the labeller's time model, its good parts, every station's rejects,
    # all at the line's ideal cycle of 0.5 s.
    assert (by_output.planned_busy_s, by_output.running_s, by_output.stop_s) == (
        PLANNED,
        PLANNED - 1500,
        1500,
    )
    assert (by_output.good_count, by_output.reject_count) == (good_out, rejects)
    assert by_output.ideal_output_s == pytest.approx((good_out + rejects) * 0.5)
    assert by_output.availability == pytest.approx(25500 / 27000)
    assert by_output.performance == pytest.approx((40800 + 2660) * 0.5 / 25500)
    assert by_output.quality == pytest.approx(40800 / (40800 + 2660))
    assert by_output.oee == pytest.approx(40800 * 0.5 / 27000)  # good output / planned time
    _loss_adds_up(by_output, ideal_good_s=good_out * 0.5)
    # By machines: every time and count added up.
    planned_3 = 3 * PLANNED
    running_3 = PLANNED + (PLANNED - 1200) + (PLANNED - 1500)
    good_3 = filler_steps * 50 + capper_steps * 50 + labeller_steps * 48
    parts_3 = filler_steps * 52 + capper_steps * 51 + labeller_steps * 48
    assert (together.planned_busy_s, together.running_s) == (planned_3, running_3)
    assert (together.breakdown_s, together.stop_s) == (1200, 1500)
    assert together.availability == pytest.approx(running_3 / planned_3)
    assert together.performance == pytest.approx(parts_3 * 0.5 / running_3)
    assert together.quality == pytest.approx(good_3 / parts_3)
    _loss_adds_up(together, ideal_good_s=good_3 * 0.5)


async def test_late_data_recomputes_the_shift_it_belongs_to(db_pool: Pool, golden: Plant) -> None:
    phases = [running(at(4, 50), at(9)), LUNCH, running(at(9, 30), NOW)]
    complete = script_readings("g1", phases, products=PRODUCT_1)
    withheld = [r for r in complete if at(7) < r.time < at(7, 30)]
    first = [r for r in complete if r not in withheld]
    await _cycle(db_pool, golden, first)
    before = await _shift(db_pool, at(5))
    assert before.unknown_s == 1800

    # The collector's buffer delivers 07:00-07:30 long after the shift ended.
    report = await _cycle(db_pool, golden, withheld)

    after = await _shift(db_pool, at(5))
    assert report.late_data_machines == ("g1",)
    assert (after.unknown_s, after.planned_busy_s) == (0, PLANNED)
    assert after.good_count == PLANNED / 30 * 50
    # Without new data the next cycle only recomputes the current (late) shift.
    quiet = await run_analytics_cycle(db_pool, golden, now=NOW)
    assert (quiet.oee_shifts, quiet.late_data_machines) == (1, ())
    assert await _shift(db_pool, at(5)) == after


async def test_a_stop_across_a_shift_change_is_one_stop(db_pool: Pool, golden: Plant) -> None:
    # A breakdown 12:30-13:30 UTC: 1800 s in the early shift, 1800 s in the late one.
    readings = script_readings(
        "g1",
        [
            running(at(4, 50), at(9)),
            LUNCH,
            running(at(9, 30), at(12, 30)),
            halted(at(12, 30), at(13, 30), ABORTED),
            running(at(13, 30), at(14)),
        ],
        products=PRODUCT_1,
        faults=[(at(4, 50), 0), (at(12, 30), 201), (at(13, 30), 0)],
    )

    await _cycle(db_pool, golden, readings, now=at(14))

    early, late = await _shift(db_pool, at(5)), await _shift(db_pool, at(13))
    assert (early.breakdown_s, late.breakdown_s) == (1800, 1800)
    # Counted in the shift it began in.
    assert (
        early.loss(LossCategory.BREAKDOWNS).count,
        late.loss(LossCategory.BREAKDOWNS).count,
    ) == (1, 0)
    async with db_pool.connection() as conn:
        stops = await list_downtimes(
            conn, machine_ids=["g1"], since=at(5), until=at(14), scope=EVERY_CUSTOMER
        )
        reliability = await machine_reliability(
            conn, machine_ids=["g1"], since=at(5), until=at(21), scope=EVERY_CUSTOMER
        )
    assert [(s.start, s.end, s.seconds) for s in stops] == [(at(12, 30), at(13, 30), 3600)]
    # Running: the early shift 27000 - 1800; the late shift so far 13:30-14:00.
    assert reliability[0].failures == 1
    assert reliability[0].mtbf_s == pytest.approx(25200 + 1800)
    assert reliability[0].mttr_s == pytest.approx(3600)
