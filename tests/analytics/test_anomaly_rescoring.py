"""Late telemetry re-scores the anomaly observations it touched, on a real TimescaleDB.

The filler and the capper of line 1 run all morning, sampled every 30 s, so their
observations are 30 s wide. A cycle at 06:30 learns their first models from the
healthy running since 04:58 past its warm-up; "now" is 10:00, so with a minute to
settle every observation ending by 09:59 is complete. A collector holds part of the
filler's data back and sends it later, as a spool draining after a database outage or
a gateway uploading its buffer would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import analytics.anomaly_refresh
from analytics.analytics_job import AnalyticsReport, run_analytics_cycle
from analytics.condition_training import DetectorSettings
from analytics.recompute_plan import RecomputeSettings, rescoring_start, window_pieces
from models.anomaly import SCORE_THRESHOLD, AnomalyScore
from models.intervals import Interval
from models.plant import Plant
from models.readings import Reading
from storage.anomaly_store import score_history
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.analytics.late_telemetry import (
    CONDITION_SIGNALS,
    FIRST_MODEL_AT,
    faulty_condition,
    held_back,
    running_morning,
    within,
    write,
)
from tests.analytics.telemetry_factories import (
    ABORTED,
    at,
    halted,
    minutes,
    running,
    script_readings,
)

pytestmark = pytest.mark.integration

NOW = at(10)
LAST_COMPLETE = at(9, 59)  # the end of the last observation complete at NOW
# Observations are as wide as the sample spacing.
WIDTH = timedelta(seconds=30)
# Observations after a restart (a gap in running over ten widths) that are warm-up.
SETTLE = DetectorSettings().settle_observations
# recompute_plan's pure tests keep the 5-minute grid they were written on.
WINDOW = timedelta(minutes=5)


def _observations(start: datetime, end: datetime) -> int:
    return (end - start) // WIDTH


async def _scores(pool: Pool, machine_id: str) -> dict[datetime, AnomalyScore]:
    async with pool.connection() as conn:
        history = await score_history(
            conn, machine_id=machine_id, since=at(4), until=NOW, scope=EVERY_CUSTOMER
        )
    return {s.time: s for s in history}


def _before(scores: dict[datetime, AnomalyScore], when: datetime) -> dict[datetime, float]:
    return {t: s.score for t, s in scores.items() if t <= when}


async def _learn_and_score(pool: Pool, plant: Plant) -> None:
    """The 06:30 cycle trains the first models; the 10:00 one scores the morning."""
    learned = await run_analytics_cycle(pool, plant, now=FIRST_MODEL_AT)
    assert "l1-filler" in learned.models_trained
    await run_analytics_cycle(pool, plant, now=NOW)


async def _morning(
    pool: Pool, plant: Plant, *, late: Interval, faults: tuple[Interval, ...] = ()
) -> list[Reading]:
    """Write the morning but the filler's condition samples in ``late``, run a cycle,
    and return the rows held back."""
    filler, held = held_back(
        running_morning("l1-filler", seed=1, until=NOW, faults=faults),
        within(late, signals=CONDITION_SIGNALS),
    )
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(pool, [*filler, *running_morning("l1-capper", seed=2, until=NOW)])
    await _learn_and_score(pool, plant)
    return held


async def test_late_samples_of_scored_observations_change_their_scores(
    db_pool: Pool, plant: Plant
) -> None:
    # The filler's bearing acts up 09:00-09:05; the collector held those condition
    # samples back, so those observations were not scored at all.
    late = Interval(at(9), at(9, 5))
    held = await _morning(db_pool, plant, late=late, faults=(late,))
    before = await _scores(db_pool, "l1-filler")
    capper_before = await _scores(db_pool, "l1-capper")
    assert not [t for t in before if late.start < t <= late.end]
    assert before[LAST_COMPLETE].score < SCORE_THRESHOLD

    await write(db_pool, held)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    after = await _scores(db_pool, "l1-filler")
    assert after[late.end].score > SCORE_THRESHOLD
    assert after[late.end].contributions[0].signal in {"vibration_rms", "bearing_temp"}
    # Only the filler is scored again, from the touched observation on; both OEE and
    # anomaly scoring saw the late data.
    assert report.rescored_machines == ("l1-filler",)
    assert report.late_data_machines == ("l1-filler",)
    assert report.scores_stored == _observations(late.start, LAST_COMPLETE)
    # The observations before the late data keep their scores.
    assert _before(after, late.start) == _before(before, late.start)
    assert await _scores(db_pool, "l1-capper") == capper_before


async def test_observations_whose_data_all_came_late_get_scored(
    db_pool: Pool, plant: Plant
) -> None:
    # Half an hour of the filler's condition data, during a fault, sat in a spool.
    gap = Interval(at(7), at(7, 30))
    held = await _morning(db_pool, plant, late=gap, faults=(gap,))
    assert not [t for t in await _scores(db_pool, "l1-filler") if gap.start < t <= gap.end]

    await write(db_pool, held)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    filled = [
        s for t, s in (await _scores(db_pool, "l1-filler")).items() if gap.start < t <= gap.end
    ]
    assert [s.time for s in filled] == [gap.start + WIDTH * (i + 1) for i in range(60)]
    # Once a few faulty observations are in the smoothing window, every one alarms.
    assert all(s.score > SCORE_THRESHOLD for s in filled[10:])
    assert report.rescored_machines == ("l1-filler",)
    assert report.scores_stored == _observations(gap.start, LAST_COMPLETE)


async def test_observations_late_data_shows_the_machine_stopped_in_lose_their_scores(
    db_pool: Pool, plant: Plant
) -> None:
    # The filler broke down 09:00-09:10; its state changes came late, its condition
    # samples (the sensors kept reading) on time.
    stop = Interval(at(9), at(9, 10))
    phases = [running(at(4, 58), stop.start), halted(stop.start, stop.end, ABORTED)]
    readings = script_readings(
        "l1-filler",
        [*phases, running(stop.end, NOW)],
        products=[(at(4, 58), 1)],
        condition=faulty_condition(seed=1),
    )
    on_time, late_states = held_back(
        readings, lambda r: r.signal == "state" and stop.start <= r.time <= stop.end
    )
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(db_pool, on_time)
    await _learn_and_score(db_pool, plant)

    def stopped(scores: dict[datetime, AnomalyScore]) -> list[datetime]:
        return [t for t in scores if stop.start < t <= stop.end]

    assert len(stopped(await _scores(db_pool, "l1-filler"))) == 20

    await write(db_pool, late_states)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    rescored = await _scores(db_pool, "l1-filler")
    assert stopped(rescored) == []
    assert report.rescored_machines == ("l1-filler",)
    # The ten minutes' stop is a restart: its first 30 observations are warm-up, scored
    # no more than had the states come on time. The first scored again ends 09:25:30.
    assert min(t for t in rescored if t > stop.end) == stop.end + (SETTLE + 1) * WIDTH


async def test_new_data_after_the_scored_observations_rescores_nothing(
    db_pool: Pool, plant: Plant
) -> None:
    await _morning(db_pool, plant, late=Interval(NOW, NOW))
    later = at(10, 10)
    fresh = [
        r
        for machine_id, seed in (("l1-filler", 1), ("l1-capper", 2))
        for r in running_morning(machine_id, seed=seed, until=later)
        if r.time > NOW
    ]
    await write(db_pool, fresh)

    report = await run_analytics_cycle(db_pool, plant, now=later)
    again = await run_analytics_cycle(db_pool, plant, now=later)

    # Each machine scores the observations that completed since: ending 09:59:30-10:09.
    assert report.rescored_machines == ()
    assert report.scores_stored == 2 * _observations(LAST_COMPLETE, at(10, 9))
    assert (again.rescored_machines, again.scores_stored) == ((), 0)


async def test_a_cycle_that_fails_while_rescoring_leaves_it_for_the_next(
    db_pool: Pool, plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = Interval(at(9), at(9, 5))
    held = await _morning(db_pool, plant, late=late, faults=(late,))
    await write(db_pool, held)

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(analytics.anomaly_refresh, "replace_scores", broken)
    with pytest.raises(RuntimeError):
        await run_analytics_cycle(db_pool, plant, now=NOW)
    monkeypatch.undo()

    report: AnalyticsReport = await run_analytics_cycle(db_pool, plant, now=NOW)

    assert report.scores_stored == _observations(late.start, LAST_COMPLETE)
    assert (await _scores(db_pool, "l1-filler"))[late.end].score > SCORE_THRESHOLD


def test_rescoring_starts_at_the_window_of_the_oldest_late_sample() -> None:
    settings = RecomputeSettings(horizon=timedelta(days=2))
    first = at(5)

    def start(late_since: datetime) -> datetime:
        return rescoring_start(
            late_since, first_window=first, now=NOW, width=WINDOW, settings=settings
        )

    assert start(at(9, 3, 10)) == at(9)
    assert start(at(4, 30)) == first  # nothing is scored before the first window
    assert start(NOW + timedelta(hours=1)) == NOW  # a clock running ahead changes nothing past
    long_ago = rescoring_start(
        at(9) - timedelta(days=30),
        first_window=at(0) - timedelta(days=60),
        now=NOW,
        width=WINDOW,
        settings=settings,
    )
    assert long_ago == NOW - timedelta(days=2)  # a wrong PLC clock stops at the horizon


def test_long_rescoring_commits_piece_by_piece_on_window_bounds() -> None:
    pieces = window_pieces(at(0), at(10), chunk=minutes(242), width=WINDOW)
    assert [(p.start, p.end) for p in pieces] == [
        (at(0), at(4)),
        (at(4), at(8)),
        (at(8), at(10)),
    ]
    assert window_pieces(at(9), at(9), chunk=minutes(240), width=WINDOW) == []
