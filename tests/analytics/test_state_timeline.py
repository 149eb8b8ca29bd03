"""Runs from state changes: categories joined, micro-stops, fault codes, start-up windows."""

from __future__ import annotations

from collections.abc import Sequence

from analytics.state_timeline import known_pieces, startup_windows, state_runs
from models.intervals import Interval
from models.states import DEFAULT_STATE_CATEGORIES, TimeCategory
from models.telemetry_series import FaultChange, StateChange
from tests.analytics.telemetry_factories import (
    ABORTED,
    EXECUTE,
    HELD,
    RESETTING,
    STOPPED,
    SUSPENDED,
    at,
)


def _runs(
    changes: list[StateChange], faults: Sequence[FaultChange] = ()
) -> list[tuple[object, ...]]:
    runs = state_runs(
        changes,
        DEFAULT_STATE_CATEGORIES,
        start=at(6),
        end=at(8),
        micro_stop_threshold_s=120,
        faults=faults,
    )
    return [(r.start, r.end, r.category, r.micro_stop, r.fault_code) for r in runs]


def test_held_then_aborted_is_one_breakdown_and_keeps_its_fault_code() -> None:
    changes = [
        StateChange(at(6, 10), EXECUTE),
        StateChange(at(7), HELD),
        StateChange(at(7, 3), ABORTED),
        StateChange(at(7, 45), EXECUTE),
    ]
    faults = [FaultChange(at(6, 10), 0), FaultChange(at(7), 201), FaultChange(at(7, 45), 0)]
    assert _runs(changes, faults) == [
        (at(6), at(6, 10), TimeCategory.UNKNOWN, False, None),  # before the first change
        (at(6, 10), at(7), TimeCategory.RUNNING, False, None),
        (at(7), at(7, 45), TimeCategory.BREAKDOWN, False, 201),
        (at(7, 45), at(8), TimeCategory.RUNNING, False, None),
    ]


def test_short_stops_are_micro_stops_and_a_code_reported_late_still_counts() -> None:
    changes = [
        StateChange(at(5, 30), EXECUTE),  # in force at the start: the run began then
        StateChange(at(6, 30), SUSPENDED),
        StateChange(at(6, 31), EXECUTE),
        StateChange(at(7), SUSPENDED),
        StateChange(at(7, 2), EXECUTE),  # exactly the threshold: no longer micro
        StateChange(at(7, 59), SUSPENDED),  # still going at the end: micro so far
    ]
    faults = [FaultChange(at(6, 30, 5), 101)]  # the PLC sent the code 5 s late
    assert _runs(changes, faults) == [
        (at(5, 30), at(6, 30), TimeCategory.RUNNING, False, None),
        (at(6, 30), at(6, 31), TimeCategory.STOP, True, 101),
        (at(6, 31), at(7), TimeCategory.RUNNING, False, None),
        (at(7), at(7, 2), TimeCategory.STOP, False, 101),
        (at(7, 2), at(7, 59), TimeCategory.RUNNING, False, None),
        (at(7, 59), at(8), TimeCategory.STOP, True, 101),
    ]


def test_start_up_windows_follow_changeovers_and_breakdowns_only() -> None:
    runs = state_runs(
        [
            StateChange(at(6), EXECUTE),
            StateChange(at(6, 10), SUSPENDED),
            StateChange(at(6, 11), EXECUTE),  # after a stop: no start-up
            StateChange(at(6, 20), STOPPED),
            StateChange(at(6, 25), RESETTING),
            StateChange(at(6, 30), EXECUTE),  # after a changeover
            StateChange(at(6, 31), ABORTED),
            StateChange(at(6, 32), EXECUTE),  # after a breakdown, inside the first window
        ],
        DEFAULT_STATE_CATEGORIES,
        start=at(6),
        end=at(7),
        micro_stop_threshold_s=120,
    )
    assert startup_windows(runs, seconds=180) == [Interval(at(6, 30), at(6, 35))]


def test_time_outside_the_data_is_cut_out_of_the_runs() -> None:
    runs = state_runs(
        [StateChange(at(6), EXECUTE), StateChange(at(7), STOPPED)],
        DEFAULT_STATE_CATEGORIES,
        start=at(6),
        end=at(8),
        micro_stop_threshold_s=120,
    )
    covered = [Interval(at(6), at(6, 40)), Interval(at(6, 50), at(7, 30))]
    pieces = known_pieces(runs, covered)
    assert [(p.start, p.end, p.run) for p in pieces] == [
        (at(6), at(6, 40), 0),
        (at(6, 50), at(7), 0),
        (at(7), at(7, 30), 1),
    ]
