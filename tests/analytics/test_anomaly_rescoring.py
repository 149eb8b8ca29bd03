"""Late telemetry re-scores the anomaly windows it touched, on a real TimescaleDB.

The filler and the capper of line 1 run all morning; "now" is 10:00, so with a
minute to settle every window ending by 09:55 is complete. A collector holds
part of the filler's data back and sends it later, as a spool draining after a
database outage or a gateway uploading its buffer would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import analytics.anomaly_refresh
from analytics.analytics_job import AnalyticsReport, run_analytics_cycle
from analytics.anomaly_scoring import ALERT_THRESHOLD
from analytics.recompute_plan import RecomputeSettings, rescoring_start, window_pieces
from models.anomaly import AnomalyScore
from models.intervals import Interval
from models.plant import Plant
from models.readings import Reading
from storage.anomaly_store import score_history
from storage.asset_registry import sync_assets
from storage.connections import Pool
from tests.analytics.late_telemetry import (
    CONDITION_SIGNALS,
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
LAST_COMPLETE = at(9, 55)  # the end of the last window complete at NOW
WINDOW = timedelta(minutes=5)


def _windows(start: datetime, end: datetime) -> int:
    return (end - start) // WINDOW


async def _scores(pool: Pool, machine_id: str) -> dict[datetime, AnomalyScore]:
    async with pool.connection() as conn:
        history = await score_history(conn, machine_id=machine_id, since=at(4), until=NOW)
    return {s.time: s for s in history}


def _rounded(scores: dict[datetime, AnomalyScore], *, but: datetime) -> dict[datetime, float]:
    return {t: round(s.score, 9) for t, s in scores.items() if t != but}


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
    await run_analytics_cycle(pool, plant, now=NOW)
    return held


async def test_late_samples_of_a_scored_window_change_its_score(
    db_pool: Pool, plant: Plant
) -> None:
    # The filler's bearing acts up from 09:01:30; the collector had sent only the
    # three samples of each signal before it when the window was scored.
    window = Interval(at(9), at(9, 5))
    late = Interval(at(9, 1, 30), window.end)
    held = await _morning(db_pool, plant, late=late, faults=(late,))
    before = await _scores(db_pool, "l1-filler")
    capper_before = await _scores(db_pool, "l1-capper")
    assert before[window.end].score < ALERT_THRESHOLD

    await write(db_pool, held)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    after = await _scores(db_pool, "l1-filler")
    assert after[window.end].score > ALERT_THRESHOLD
    assert after[window.end].contributions[0].signal in {"vibration_rms", "bearing_temp"}
    # Only the filler is scored again, from the touched window on; both OEE and
    # anomaly scoring saw the late data.
    assert report.rescored_machines == ("l1-filler",)
    assert report.late_data_machines == ("l1-filler",)
    assert report.scores_stored == _windows(window.start, LAST_COMPLETE)
    # The other windows keep their scores (summed in another order, a last digit may differ).
    assert _rounded(after, but=window.end) == _rounded(before, but=window.end)
    assert await _scores(db_pool, "l1-capper") == capper_before


async def test_a_window_whose_data_all_came_late_gets_scored(db_pool: Pool, plant: Plant) -> None:
    # Half an hour of the filler's condition data sat in a spool.
    gap = Interval(at(7), at(7, 30))
    held = await _morning(db_pool, plant, late=gap, faults=(gap,))
    assert not [t for t in await _scores(db_pool, "l1-filler") if gap.start < t <= gap.end]

    await write(db_pool, held)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    filled = [
        s for t, s in (await _scores(db_pool, "l1-filler")).items() if gap.start < t <= gap.end
    ]
    assert [s.time for s in filled] == [gap.start + WINDOW * (i + 1) for i in range(6)]
    assert all(s.score > ALERT_THRESHOLD for s in filled)
    assert report.rescored_machines == ("l1-filler",)
    assert report.scores_stored == _windows(gap.start, LAST_COMPLETE)


async def test_a_window_late_data_shows_the_machine_stopped_in_loses_its_score(
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
    await run_analytics_cycle(db_pool, plant, now=NOW)
    stopped_windows = {stop.start + WINDOW, stop.end}
    assert stopped_windows <= set(await _scores(db_pool, "l1-filler"))

    await write(db_pool, late_states)
    report = await run_analytics_cycle(db_pool, plant, now=NOW)

    assert not stopped_windows & set(await _scores(db_pool, "l1-filler"))
    assert report.rescored_machines == ("l1-filler",)


async def test_new_data_after_the_scored_windows_rescores_nothing(
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

    # Each machine scores the two windows that completed since: 09:55-10:05.
    assert report.rescored_machines == ()
    assert report.scores_stored == 2 * 2
    assert (again.rescored_machines, again.scores_stored) == ((), 0)


async def test_a_cycle_that_fails_while_rescoring_leaves_it_for_the_next(
    db_pool: Pool, plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = Interval(at(9), at(9, 5))
    late = Interval(at(9, 1, 30), window.end)
    held = await _morning(db_pool, plant, late=late, faults=(late,))
    await write(db_pool, held)

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(analytics.anomaly_refresh, "replace_scores", broken)
    with pytest.raises(RuntimeError):
        await run_analytics_cycle(db_pool, plant, now=NOW)
    monkeypatch.undo()

    report: AnalyticsReport = await run_analytics_cycle(db_pool, plant, now=NOW)

    assert report.scores_stored == _windows(window.start, LAST_COMPLETE)
    assert (await _scores(db_pool, "l1-filler"))[window.end].score > ALERT_THRESHOLD


def test_rescoring_starts_at_the_window_of_the_oldest_late_sample() -> None:
    settings = RecomputeSettings(horizon=timedelta(days=2))
    first = at(5)

    def start(late_since: datetime) -> datetime:
        return rescoring_start(
            late_since, first_window=first, now=NOW, width=WINDOW, settings=settings
        )

    assert start(at(9, 3, 10)) == at(9)
    assert start(at(4, 30)) == first  # nothing is scored before the baseline's first window
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
