"""The analytics cycle against a real TimescaleDB: a morning of line-1 telemetry in,
OEE rows and anomaly scores out.

Hamburg runs on Berlin time (UTC+1 in January): the early shift is 05:00-13:00
UTC with lunch 09:00-09:30 UTC. Every line-1 machine runs from just before the
shift, breaks down 07:00-07:30, waits out lunch, and is still running at
11:00 ("now"). The capper's bearing starts to wear at 09:30. A cycle at 08:30
learns each machine's first condition model from its healthy running so far: 04:58-07:00
and 07:30-08:30, less the warm-up of 30 observations (15 min) after each start. (A model
learnt at 06:30 from some 150 observations, not far above the 120 training needs,
calibrates its limit on too few independent smoothed stretches: the healthy filler and
labeller then reach the alarm threshold.)
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.analytics_job import AnalyticsReport, latest_telemetry_time, run_analytics_cycle
from models.anomaly import SCORE_THRESHOLD
from models.oee import OeeResult, OeeScope
from models.plant import Plant
from storage.anomaly_store import latest_scores, score_history
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.oee_store import list_oee
from tests.analytics.telemetry_factories import (
    ABORTED,
    IDLE,
    at,
    condition_model,
    halted,
    insert_readings,
    running,
    script_readings,
)

pytestmark = pytest.mark.integration

LINE_1 = ("l1-filler", "l1-capper", "l1-labeller")
NOW = at(11)
BEARING_SIGNALS = {"vibration_rms", "bearing_temp", "motor_current"}


async def _morning_on_line_1(db_pool: Pool, plant: Plant) -> None:
    phases = [
        running(at(4, 58), at(7)),
        halted(at(7), at(7, 30), ABORTED),
        running(at(7, 30), at(9)),
        halted(at(9), at(9, 30), IDLE),
        running(at(9, 30), NOW),
    ]
    readings = []
    for seed, machine_id in enumerate(LINE_1):
        wear_from = at(9, 30) if machine_id == "l1-capper" else None
        model = condition_model(np.random.default_rng(seed), wear_from=wear_from)
        readings += script_readings(machine_id, phases, products=[(at(4, 58), 1)], condition=model)
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_readings(conn, readings)


async def _cycle(db_pool: Pool, plant: Plant) -> AnalyticsReport:
    now = await latest_telemetry_time(db_pool)
    assert now == NOW
    return await run_analytics_cycle(db_pool, plant, now=now)


async def _learn_first_models(db_pool: Pool, plant: Plant) -> AnalyticsReport:
    return await run_analytics_cycle(db_pool, plant, now=at(8, 30))


async def _early_shift(db_pool: Pool, scope: OeeScope, subject: str) -> OeeResult:
    async with db_pool.connection() as conn:
        results = await list_oee(
            conn,
            scope=scope,
            subject_ids=[subject],
            since=at(5),
            until=NOW,
            customer_scope=EVERY_CUSTOMER,
        )
    assert [r.shift_name for r in results] == ["early"]
    return results[0]


async def test_cycle_stores_the_running_shifts_oee(db_pool: Pool, plant: Plant) -> None:
    await _morning_on_line_1(db_pool, plant)

    report = await _cycle(db_pool, plant)

    # No late-data marks (the rows went straight into the table): the current shift
    # of each of 3 lines, for its 3 machines and the line by output and by machines.
    assert report.oee_results == 3 * (3 + 2)
    filler = await _early_shift(db_pool, OeeScope.MACHINE, "l1-filler")
    planned_busy = 6 * 3600 - 1800  # 05:00-11:00 so far, minus lunch
    running_s = planned_busy - 1800  # minus the breakdown
    assert (filler.shift_start, filler.shift_end) == (at(5), at(13))
    assert (filler.planned_busy_s, filler.running_s, filler.breakdown_s) == (
        planned_busy,
        running_s,
        1800,
    )
    assert filler.availability == pytest.approx(running_s / planned_busy)
    assert filler.performance == pytest.approx(26 / 30)
    assert filler.quality == pytest.approx(50 / 52)
    assert filler.good_count == pytest.approx(running_s / 30 * 50)

    line = await _early_shift(db_pool, OeeScope.LINE, "line-1")
    rejects_of_three_machines = 3 * running_s / 30 * 2
    assert line.reject_count == pytest.approx(rejects_of_three_machines)
    assert line.quality == pytest.approx(
        filler.good_count / (filler.good_count + rejects_of_three_machines)
    )
    assert line.oee == pytest.approx(line.availability * line.performance * line.quality)


async def test_machines_without_data_report_unknown_time(db_pool: Pool, plant: Plant) -> None:
    await _morning_on_line_1(db_pool, plant)
    await _cycle(db_pool, plant)

    silent = await _early_shift(db_pool, OeeScope.MACHINE, "l2-filler")

    assert silent.unknown_s == 6 * 3600 - 1800
    assert (silent.planned_busy_s, silent.oee) == (0, 0)


async def test_cycle_flags_the_wearing_bearing_and_not_the_healthy_machines(
    db_pool: Pool, plant: Plant
) -> None:
    await _morning_on_line_1(db_pool, plant)
    learned = await _learn_first_models(db_pool, plant)

    report = await _cycle(db_pool, plant)

    assert learned.models_trained == LINE_1
    assert report.models_trained == ()
    # The other lines' machines have condition signals but no data yet.
    assert len(report.machines_learning) == 6
    assert {p.observations_seen for p in report.machines_learning} == {0}
    assert all(p.observations_needed == 120 for p in report.machines_learning)
    async with db_pool.connection() as conn:
        filler = await score_history(
            conn, machine_id="l1-filler", since=at(4), until=NOW, scope=EVERY_CUSTOMER
        )
        latest = await latest_scores(conn, machine_ids=[*LINE_1, "l2-filler"], scope=EVERY_CUSTOMER)
        cursor = await conn.execute("SELECT count(*) FROM anomaly_scores")
        stored = await cursor.fetchone()
    assert stored is not None and learned.scores_stored + report.scores_stored == stored[0]
    assert all(0.0 <= s.score < 1.0 for s in filler)
    assert max(s.score for s in filler) < SCORE_THRESHOLD
    assert {s.model_version for s in filler} == {1}
    # No window of the breakdown or the lunch break is scored: the machine was not
    # running. Nor are the 30 observations of warm-up after each restart.
    assert filler[0].time == at(5, 13, 30)
    assert not [s for s in filler if at(7, 5) <= s.time <= at(7, 45)]
    assert min(s.time for s in filler if s.time > at(7)) == at(7, 45, 30)
    assert not [s for s in filler if at(9, 5) <= s.time <= at(9, 45)]
    assert min(s.time for s in filler if s.time > at(9)) == at(9, 45, 30)
    # 30 s observations (the sample spacing); the last complete one a minute before 11:00.
    assert latest["l1-capper"].time == at(10, 59)
    assert latest["l1-capper"].score >= SCORE_THRESHOLD
    assert latest["l1-capper"].contributions[0].signal in BEARING_SIGNALS
    assert "l2-filler" not in latest


@pytest.mark.xfail(
    strict=True,
    reason="the healthy capper scores up to 0.55 for three observations at 08:32-08:33, just"
    " after its training stretch: with the default settings the limit, calibrated on a few"
    " hundred strongly autocorrelated smoothed observations, lets white noise reach the"
    " alarm threshold (detector finding)",
)
async def test_the_capper_scores_below_the_threshold_before_its_bearing_wears(
    db_pool: Pool, plant: Plant
) -> None:
    await _morning_on_line_1(db_pool, plant)
    await _learn_first_models(db_pool, plant)
    await _cycle(db_pool, plant)

    async with db_pool.connection() as conn:
        capper = await score_history(
            conn, machine_id="l1-capper", since=at(4), until=at(9, 30), scope=EVERY_CUSTOMER
        )
    assert max(s.score for s in capper) < SCORE_THRESHOLD


async def test_a_second_cycle_at_the_same_time_adds_nothing(db_pool: Pool, plant: Plant) -> None:
    await _morning_on_line_1(db_pool, plant)
    await _learn_first_models(db_pool, plant)
    first = await _cycle(db_pool, plant)

    second = await _cycle(db_pool, plant)

    assert first.scores_stored > 0
    assert second.models_trained == ()
    assert second.scores_stored == 0
    assert second.oee_results == first.oee_results
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM oee_results")
        row = await cursor.fetchone()
    assert row is not None and row[0] == first.oee_results


async def test_latest_telemetry_time_of_an_empty_database_is_none(db_pool: Pool) -> None:
    assert await latest_telemetry_time(db_pool) is None
