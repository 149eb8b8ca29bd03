"""Where a machine's time went: state changes turned into runs, and runs into seconds.

The steps, each a function of its own:

1. ``state_runs``: each state holds from its change event until the next;
   before the first known event the state is unknown. Consecutive states of
   one OEE category form one run (HELD then ABORTED is one breakdown). An
   unplanned stop (category STOP) shorter than the plant's micro-stop
   threshold is a micro-stop. Runs are judged on the state history alone, so a
   data gap in the middle of a stop does not split it into two.
2. ``known_pieces``: the parts of each run inside the time the data vouches
   for (``analytics.data_coverage``); the rest is unknown time, never running
   or stopped.
3. ``run_seconds``: the seconds of each run inside a shift's planned time.
4. ``startup_windows``: the first seconds of running after a changeover or a
   breakdown, in which rejects are start-up rejects.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.intervals import Interval
from models.states import TimeCategory
from models.telemetry_series import FaultChange, StateChange

# Running after these is a restart: its first minutes make start-up rejects.
RESTARTS_AFTER = frozenset({TimeCategory.SETUP, TimeCategory.BREAKDOWN})


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch ``[start, end)`` of one OEE category, as the state history shows it.

    ``fault_code`` is the code in force when a stop began, or else the first one
    reported during it (None for running time and stops without a code).
    """

    start: datetime
    end: datetime
    category: TimeCategory
    micro_stop: bool = False
    fault_code: int | None = None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Piece:
    """A part ``[start, end)`` of the run ``runs[run]`` that the data vouches for."""

    start: datetime
    end: datetime
    run: int


def _category_spans(
    changes: Sequence[StateChange],
    categories: Mapping[int, TimeCategory],
    *,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime, TimeCategory]]:
    """Spans of one category each, cut by state change, up to ``end``.

    They begin at ``start``, or at the first change when that came earlier.
    """
    ordered = sorted((c for c in changes if c.time < end), key=lambda c: c.time)
    spans: list[tuple[datetime, datetime, TimeCategory]] = []
    cursor = min(start, ordered[0].time) if ordered else start
    category = TimeCategory.UNKNOWN
    for change in ordered:
        following = categories.get(change.state, TimeCategory.UNKNOWN)
        if following is category:
            continue
        if change.time > cursor:
            spans.append((cursor, change.time, category))
            cursor = change.time
        category = following
    if cursor < end:
        spans.append((cursor, end, category))
    return spans


def _fault_code(
    faults: Sequence[FaultChange], times: Sequence[datetime], run: Interval
) -> int | None:
    """The code in force when the run began, else the first code reported during it."""
    index = bisect.bisect_right(times, run.start) - 1
    if index >= 0 and faults[index].code:
        return faults[index].code
    for fault in faults[index + 1 :]:
        if fault.time >= run.end:
            break
        if fault.code:
            return fault.code
    return None


def state_runs(
    changes: Sequence[StateChange],
    categories: Mapping[int, TimeCategory],
    *,
    start: datetime,
    end: datetime,
    micro_stop_threshold_s: float,
    faults: Sequence[FaultChange] = (),
) -> list[Run]:
    """The runs of ``[start, end)``; the first begins earlier when ``changes`` hold one
    from before ``start`` (the state in force at ``start``). Unmapped states are UNKNOWN.

    A stop still going on at ``end`` is judged on its length so far: a
    micro-stop until it reaches the threshold.
    """
    ordered_faults = sorted(faults, key=lambda f: f.time)
    fault_times = [f.time for f in ordered_faults]
    runs = []
    for run_start, run_end, category in _category_spans(changes, categories, start=start, end=end):
        stopped = category not in (TimeCategory.RUNNING, TimeCategory.UNKNOWN)
        code = _fault_code(ordered_faults, fault_times, Interval(run_start, run_end))
        runs.append(
            Run(
                start=run_start,
                end=run_end,
                category=category,
                micro_stop=category is TimeCategory.STOP
                and (run_end - run_start).total_seconds() < micro_stop_threshold_s,
                fault_code=code if stopped else None,
            )
        )
    return runs


def known_pieces(runs: Sequence[Run], covered: Sequence[Interval]) -> list[Piece]:
    """The parts of the runs inside ``covered`` (sorted, disjoint), in time order."""
    pieces: list[Piece] = []
    ends = [span.end for span in covered]
    for index, run in enumerate(runs):
        first = bisect.bisect_right(ends, run.start)
        for span in covered[first:]:
            if span.start >= run.end:
                break
            part = span.clip(run.start, run.end)
            if part is not None:
                pieces.append(Piece(part.start, part.end, index))
    return pieces


def run_seconds(
    pieces: Sequence[Piece], piece_ends: Sequence[datetime], planned: Sequence[Interval]
) -> dict[int, float]:
    """Seconds of each run (by index) inside the planned intervals.

    ``piece_ends`` is ``[p.end for p in pieces]``, kept by the caller so that a
    month of shifts does not rebuild it for each one.
    """
    seconds: dict[int, float] = {}
    if not planned:
        return seconds
    first = bisect.bisect_right(piece_ends, planned[0].start)
    last_end = planned[-1].end
    for piece in pieces[first:]:
        if piece.start >= last_end:
            break
        for span in planned:
            part = span.clip(piece.start, piece.end)
            if part is not None:
                seconds[piece.run] = seconds.get(piece.run, 0.0) + part.seconds
    return seconds


def startup_windows(runs: Sequence[Run], *, seconds: float) -> list[Interval]:
    """The first ``seconds`` after each restart from setup or a breakdown, joined where
    they overlap.

    A window is not cut short by a micro-stop or a new stop: the process is
    still settling when the machine runs again.
    """
    windows: list[Interval] = []
    if seconds <= 0:
        return windows
    length = timedelta(seconds=seconds)
    for previous, run in itertools.pairwise(runs):
        if run.category is TimeCategory.RUNNING and previous.category in RESTARTS_AFTER:
            window = Interval(run.start, run.start + length)
            if windows and window.start <= windows[-1].end:
                windows[-1] = Interval(windows[-1].start, max(windows[-1].end, window.end))
            else:
                windows.append(window)
    return windows
