"""The analytics' storage on a real TimescaleDB: telemetry reading, OEE rows,
anomaly scores and where condition scoring stands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.observation_windows import WINDOW_ORIGIN
from models.anomaly import AnomalyScore, SignalContribution
from models.condition_model import LearningProgress
from models.oee import LossCategory, LossEntry, OeeResult, OeeScope
from models.plant import Plant
from models.readings import Quality, Reading
from models.telemetry_series import FaultChange, SignalMean, StateChange
from storage import condition_scoring_store
from storage.anomaly_store import (
    insert_scores,
    latest_scores,
    recent_scores,
    replace_scores,
    score_history,
)
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.machine_event_reader import machine_events
from storage.oee_store import list_oee, upsert_oee
from storage.running_condition_reader import running_condition_windows
from tests.analytics.telemetry_factories import EXECUTE, STOPPED, at, insert_readings

pytestmark = pytest.mark.integration


def _oee(subject: str, shift_start_hour: int, oee: float = 0.5) -> OeeResult:
    return OeeResult(
        scope=OeeScope.MACHINE,
        subject_id=subject,
        shift_name="early",
        shift_start=at(shift_start_hour),
        shift_end=at(shift_start_hour + 8),
        planned_busy_s=27000,
        running_s=24300,
        setup_s=0,
        breakdown_s=2700,
        stop_s=0,
        idle_s=0,
        unknown_s=0,
        good_count=40500,
        reject_count=1620,
        ideal_output_s=21060,
        availability=0.9,
        performance=0.8667,
        quality=0.9615,
        oee=oee,
        losses=tuple(LossEntry(c, 60.0 * i, i) for i, c in enumerate(LossCategory)),
    )


def _score(machine_id: str, minute: int, score: float) -> AnomalyScore:
    """A 0..1 score whose two signals' shares add up to it (one against the others)."""
    return AnomalyScore(
        time=at(8, minute),
        machine_id=machine_id,
        score=score,
        contributions=(
            SignalContribution("vibration_rms", 10 * score, 1.25 * score),
            SignalContribution("bearing_temp", -0.5, -0.25 * score),
        ),
        model_version=3,
    )


async def test_oee_upsert_replaces_a_shift_and_list_filters_by_overlap(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await upsert_oee(conn, results=[_oee("m1", 5), _oee("m1", 13), _oee("m2", 5)])
        await upsert_oee(conn, results=[_oee("m1", 5, oee=0.6)])
        listed = await list_oee(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=["m1"],
            since=at(12),
            until=at(14),
            customer_scope=EVERY_CUSTOMER,
        )
        lines = await list_oee(
            conn,
            scope=OeeScope.LINE,
            subject_ids=["m1"],
            since=at(0),
            until=at(23),
            customer_scope=EVERY_CUSTOMER,
        )
    assert listed == [_oee("m1", 5, oee=0.6), _oee("m1", 13)]
    assert lines == []


async def test_scores_round_trip_with_ranked_contributions(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await insert_scores(conn, scores=[_score("m1", m, m / 100) for m in (5, 10, 15)])
        await insert_scores(conn, scores=[_score("m1", 15, 0.9), _score("m2", 5, 0.2)])
        history = await score_history(
            conn, machine_id="m1", since=at(8, 5), until=at(8, 15), scope=EVERY_CUSTOMER
        )
        latest = await latest_scores(conn, machine_ids=["m1", "m2", "m3"], scope=EVERY_CUSTOMER)
    assert history == [_score("m1", 5, 0.05), _score("m1", 10, 0.1)]
    assert latest == {"m1": _score("m1", 15, 0.9), "m2": _score("m2", 5, 0.2)}
    assert history[0].model_version == 3
    assert sum(c.contribution for c in history[1].contributions) == pytest.approx(0.1)


async def test_scores_stored_before_contributions_read_as_zero_shares(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await conn.execute(
            "INSERT INTO anomaly_scores (time, machine_id, score, contributions)"
            """ VALUES (%s, 'm1', 0.3, '[{"signal": "bearing_temp", "deviation": 2.5}]')""",
            (at(8),),
        )
        (old,) = await score_history(
            conn, machine_id="m1", since=at(8), until=at(9), scope=EVERY_CUSTOMER
        )
    assert old.contributions == (SignalContribution("bearing_temp", 2.5, 0.0),)
    assert old.model_version is None


async def test_recent_scores_are_the_latest_up_to_the_cycle_oldest_first(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await insert_scores(conn, scores=[_score("m1", m, 0.1) for m in range(0, 30, 5)])
        await insert_scores(conn, scores=[_score("m2", 10, 0.2)])
        recent = await recent_scores(conn, machine_id="m1", until=at(8, 20), limit=3)
        few = await recent_scores(conn, machine_id="m2", until=at(8, 20), limit=3)
    assert [s.time for s in recent] == [at(8, 10), at(8, 15), at(8, 20)]
    assert [s.time for s in few] == [at(8, 10)]


async def test_replacing_scores_clears_the_observations_ending_in_the_span(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        await insert_scores(conn, scores=[_score("m1", m, 0.1) for m in (5, 10, 15, 20)])
        # Observations in [08:05, 08:15) end in (08:05, 08:15]: 08:10 and 08:15.
        await replace_scores(
            conn, machine_id="m1", since=at(8, 5), until=at(8, 15), scores=[_score("m1", 10, 0.7)]
        )
        history = await score_history(
            conn, machine_id="m1", since=at(8), until=at(9), scope=EVERY_CUSTOMER
        )
    assert [(s.time, s.score) for s in history] == [
        (at(8, 5), 0.1),
        (at(8, 10), 0.7),
        (at(8, 20), 0.1),
    ]


async def test_learning_progress_and_late_data_marks(db_pool: Pool, plant: Plant) -> None:
    progress = LearningProgress("l1-capper", 40, 120, 1200.0, 3600.0)
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await condition_scoring_store.save_learning(conn, progress=progress, note="learning")
        before = await condition_scoring_store.positions(
            conn, machine_ids=["l1-capper"], scope=EVERY_CUSTOMER
        )
        await conn.execute(
            "INSERT INTO anomaly_pending_analysis (machine_id, since) VALUES (%s, %s)",
            ("l1-capper", at(6, 30)),
        )
        marks = await condition_scoring_store.take_late_data(conn, machine_ids=["l1-capper"])
        again = await condition_scoring_store.take_late_data(conn, machine_ids=["l1-capper"])
        after = await condition_scoring_store.positions(
            conn, machine_ids=["l1-capper", "l1-filler"], scope=EVERY_CUSTOMER
        )
    assert before["l1-capper"].progress == progress
    assert (before["l1-capper"].note, before["l1-capper"].scored_until) == ("learning", None)
    assert (marks, again) == ({"l1-capper": at(6, 30)}, {})
    assert list(after) == ["l1-capper"]


async def test_events_start_with_the_change_in_force_and_skip_bad_quality(
    db_pool: Pool,
) -> None:
    rows = [
        Reading(at(5), "m1", "state", EXECUTE),
        Reading(at(5, 30), "m1", "fault_code", 0),
        Reading(at(6, 1), "m1", "state", 0, Quality.BAD),
        Reading(at(6, 3), "m1", "state", STOPPED),
        Reading(at(6, 3), "m1", "fault_code", 101),
        Reading(at(6, 4), "m2", "state", STOPPED),
    ]
    async with db_pool.connection() as conn:
        await insert_readings(conn, rows)
        events = await machine_events(conn, machine_id="m1", since=at(6), until=at(7))
    assert events.states == (StateChange(at(5), EXECUTE), StateChange(at(6, 3), STOPPED))
    assert events.faults == (FaultChange(at(5, 30), 0), FaultChange(at(6, 3), 101))
    assert events.products == ()


async def test_condition_windows_average_only_running_samples(db_pool: Pool) -> None:
    rows = [
        Reading(at(5), "m1", "state", EXECUTE),
        Reading(at(6, 2), "m1", "state", STOPPED),
        Reading(at(6, 7), "m1", "state", EXECUTE),
    ] + [Reading(at(6) + timedelta(minutes=m), "m1", "vibration_rms", 1.0 + m) for m in range(10)]
    async with db_pool.connection() as conn:
        await insert_readings(conn, rows)
        windows = await running_condition_windows(
            conn,
            machine_id="m1",
            signals=["vibration_rms"],
            running_states=[EXECUTE],
            since=at(6),
            until=at(6, 10),
            width=timedelta(minutes=5),
            origin=WINDOW_ORIGIN,
        )
    # 06:00-06:05 ran until 06:02 (values 1, 2); 06:05-06:10 ran from 06:07 (8, 9, 10).
    assert [(w.start, w.end) for w in windows] == [(at(6), at(6, 5)), (at(6, 5), at(6, 10))]
    assert [w.signals for w in windows] == [
        (SignalMean("vibration_rms", 1.5, 2),),
        (SignalMean("vibration_rms", 9.0, 3),),
    ]
