"""Trends of several signals on one grid, whole buckets kept between reads.

A read plans what it takes from where (storage/trend_pieces.py) against the
machine's rollup state it last saw and the whole buckets the cache holds
(storage/trend_cache.py), runs one statement (storage/trend_statement.py) and lays
the answer on the grid: each signal's edges from the database, its whole buckets
from the cache and from what the database filled, null where no sample fell.

The statement checks the plan against the rollups as they are. When they moved
(rolled up further, late data, a new revision) the read notes what it found and
plans again; after a few such turns it reads raw samples, which needs no plan.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncRawCursor

from models.intervals import Interval
from storage.connections import Connection
from storage.customer_scope import CustomerScope
from storage.trend_cache import Entries, RollupState, Run, TrendCache
from storage.trend_pieces import NOTHING_ROLLED_UP, Cover, ReadPlan, plan_read
from storage.trend_queries import Bucket, BucketGrid, SignalBuckets, grid_slots, rollup_level
from storage.trend_rollups import bucket_index, bucket_start
from storage.trend_statement import (
    FILLS,
    HEAD,
    NUMBERED_STATEMENT,
    TAIL,
    positional,
    statement_parameters,
)
from storage.trend_times import grid_times_json

# Each figure's entry for a bucket without a sample: average, minimum, maximum, samples.
_EMPTY = ("null", "null", "null", "0")
_ATTEMPTS = 3


# A JSON array's entries as consecutive texts, none empty: joined by commas and put in
# brackets they are the array. Kept apart so the response is joined once, at the end:
# joining each array on the way cost more than a cached read's statement.
Pieces = tuple[str, ...]


def json_array(pieces: Pieces) -> str:
    return f"[{','.join(pieces)}]"


@dataclass(frozen=True, slots=True)
class SeriesJson:
    """One signal on the whole grid, each figure's entries one per bucket (null where
    it had no sample; ``samples`` 0): average, minimum, maximum and samples."""

    signal: str
    figures: tuple[Pieces, Pieces, Pieces, Pieces]

    @property
    def avg(self) -> str:
        return json_array(self.figures[0])

    @property
    def min(self) -> str:
        return json_array(self.figures[1])

    @property
    def max(self) -> str:
        return json_array(self.figures[2])

    @property
    def samples(self) -> str:
        return json_array(self.figures[3])


@dataclass(frozen=True, slots=True)
class AlignedJson:
    """The grid's bucket starts (a JSON array of ISO 8601 UTC times) and each signal on it."""

    times: str
    series: list[SeriesJson]


Figures = tuple[str, str, str, str]


def _figures(texts: Iterable[str]) -> Figures:
    """Average, minimum, maximum and samples, in that order."""
    avg, low, high, samples = texts
    return avg, low, high, samples


class _SlotArrays:
    """One part of one signal as the statement wrote it: the figures' JSON arrays and
    the grid slots of their entries (one run from ``first`` to ``last`` unless listed)."""

    __slots__ = ("_entries", "_slots", "arrays", "first", "last", "slots_json")

    def __init__(self, row: Sequence[Any]) -> None:
        self.first: int = row[2]
        self.last: int = row[3]
        self.slots_json: str | None = row[4]
        self.arrays: Figures = (row[5], row[6], row[7], row[8])
        self._slots: list[int] | None = None
        self._entries: list[list[str]] | None = None

    def dense(self, lo: int, hi: int) -> Figures:
        """Each figure's entries for slots ``lo .. hi - 1``, empty where no bucket is."""
        if hi <= lo:
            return ("", "", "", "")
        if self.slots_json is None and lo <= self.first and self.last < hi:
            before, after = self.first - lo, hi - 1 - self.last
            return _figures(
                (empty + ",") * before + array[1:-1] + ("," + empty) * after
                for array, empty in zip(self.arrays, _EMPTY, strict=True)
            )
        slots, entries = self._parsed()
        start, stop = bisect_left(slots, lo), bisect_left(slots, hi)
        figures = []
        for column, empty in zip(entries, _EMPTY, strict=True):
            dense = [empty] * (hi - lo)
            for slot, entry in zip(slots[start:stop], column[start:stop], strict=True):
                dense[slot - lo] = entry
            figures.append(",".join(dense))
        return _figures(figures)

    def _parsed(self) -> tuple[list[int], list[list[str]]]:
        if self._slots is None or self._entries is None:
            self._slots = (
                list(range(self.first, self.last + 1))
                if self.slots_json is None
                else json.loads(self.slots_json)
            )
            # Flat arrays of numbers: no entry holds a comma.
            self._entries = [array[1:-1].split(",") for array in self.arrays]
        return self._slots, self._entries


def _nothing(lo: int, hi: int) -> Figures:
    return _figures(",".join([empty] * (hi - lo)) for empty in _EMPTY)


def _dense(arrays: _SlotArrays | None, lo: int, hi: int) -> Figures:
    return arrays.dense(lo, hi) if arrays is not None else _nothing(lo, hi)


@dataclass(frozen=True, slots=True)
class _Answer:
    state: RollupState
    holds: bool
    parts: dict[tuple[int, str], _SlotArrays]


async def _run(
    conn: Connection,
    plan: ReadPlan,
    *,
    machine_id: str,
    signals: Sequence[str],
    first: datetime,
    checked: RollupState | None,
    scope: CustomerScope,
) -> _Answer | None:
    """The statement's answer; None when the machine is not the scope's."""
    parameters = statement_parameters(
        plan, machine_id=machine_id, signals=signals, first=first, checked=checked
    )
    async with AsyncRawCursor(conn) as cursor:
        await cursor.execute(NUMBERED_STATEMENT, positional(parameters | scope.params))
        rows = await cursor.fetchall()
    head = next((row for row in rows if row[0] is None), None)
    if head is None:
        return None
    state = RollupState(revision=head[9], complete=head[10])
    parts = {(row[0], row[1]): _SlotArrays(row) for row in rows if row[0] is not None}
    return _Answer(state, bool(head[11]), parts)


async def aligned_json(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    scope: CustomerScope,
    cache: TrendCache,
) -> AlignedJson | None:
    """Each signal's figures on every bucket of the grid, in the order of ``signals``;
    None when the machine is not the scope's."""
    first, count = grid_slots(grid)
    if rollup_level(grid) is not None:
        for _ in range(_ATTEMPTS):
            known = cache.state_of(machine_id)
            if known is None:
                learned = await _learn_state(conn, machine_id, signals, grid, first, scope)
                if learned is None:
                    return None
                cache.note_state(machine_id, learned)
                continue
            state, generation = known
            runs = {signal: cache.run(machine_id, grid.width, signal) for signal in signals}
            plan = plan_read(
                since=grid.since,
                until=grid.until,
                width=grid.width,
                complete=state.complete,
                cached=_common_span(runs.values(), grid.width),
            )
            answer = await _run(
                conn,
                plan,
                machine_id=machine_id,
                signals=signals,
                first=first,
                checked=state,
                scope=scope,
            )
            if answer is None:
                return None
            cache.note_state(machine_id, answer.state)
            if answer.holds:
                laid = _Layout(machine_id, signals, plan, first, count, cache)
                return laid.lay_out_and_keep(answer, runs, generation)
    # Raw samples alone: a grid no level divides, or rollups that kept moving under
    # the reads. Such a plan holds whatever the rollups are doing.
    plan = plan_read(
        since=grid.since,
        until=grid.until,
        width=grid.width,
        complete=NOTHING_ROLLED_UP,
        cached=None,
    )
    answer = await _run(
        conn, plan, machine_id=machine_id, signals=signals, first=first, checked=None, scope=scope
    )
    if answer is None:
        return None
    return _Layout(machine_id, signals, plan, first, count, cache).lay_out_and_keep(
        answer, {}, None
    )


async def _learn_state(
    conn: Connection,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    first: datetime,
    scope: CustomerScope,
) -> RollupState | None:
    """The machine's rollup state alone: a plan of no spans, checked against no state."""
    plan = ReadPlan(grid.width, Interval(first, first), (), None, Cover((), ()))
    answer = await _run(
        conn,
        plan,
        machine_id=machine_id,
        signals=signals,
        first=first,
        checked=RollupState(revision=-1, complete=NOTHING_ROLLED_UP),
        scope=scope,
    )
    return answer.state if answer is not None else None


def _common_span(runs: Iterable[Run | None], width: timedelta) -> Interval | None:
    """The buckets every signal's run holds; None if some signal has none."""
    start, stop = None, None
    for run in runs:
        if run is None:
            return None
        start = run.start if start is None else max(start, run.start)
        stop = run.stop if stop is None else min(stop, run.stop)
    if start is None or stop is None or stop <= start:
        return None
    return Interval(bucket_start(start, width), bucket_start(stop, width))


@dataclass(frozen=True, slots=True)
class _Layout:
    """One read's answer laid on the grid, its filled whole buckets stored for the next."""

    machine_id: str
    signals: Sequence[str]
    plan: ReadPlan
    first: datetime
    count: int
    cache: TrendCache

    def lay_out_and_keep(
        self, answer: _Answer, runs: dict[str, Run | None], generation: int | None
    ) -> AlignedJson:
        """The answer on the grid; the whole buckets it filled go to the cache, unless
        the machine's runs were dropped since the read was planned (``generation``)."""
        width = self.plan.width
        first_index = bucket_index(self.first, width)
        series = [
            SeriesJson(
                signal, self._signal(answer, signal, runs.get(signal), first_index, generation)
            )
            for signal in self.signals
        ]
        times = grid_times_json(width, first_index, first_index + self.count)
        return AlignedJson(times=f"[{times}]", series=series)

    def _signal(
        self,
        answer: _Answer,
        signal: str,
        run: Run | None,
        first_index: int,
        generation: int | None,
    ) -> tuple[Pieces, Pieces, Pieces, Pieces]:
        head_edges = answer.parts.get((HEAD, signal))
        whole = self.plan.whole
        if whole.empty:
            return _pieces([_dense(head_edges, 0, self.count)])
        width = self.plan.width
        start, stop = bucket_index(whole.start, width), bucket_index(whole.end, width)
        middle = self._whole(answer.parts.get((FILLS, signal)), run, first_index, start, stop)
        if self.plan.fills and generation is not None:
            entries = (Entries(",".join(figure), stop - start) for figure in _pieces(middle))
            self.cache.store(
                self.machine_id,
                width,
                signal,
                Run(start, stop - start, tuple(entries)),
                generation=generation,
            )
        head = _dense(head_edges, 0, start - first_index)
        tail = _dense(answer.parts.get((TAIL, signal)), stop - first_index, self.count)
        return _pieces([head, *middle, tail])

    def _whole(
        self, fills: _SlotArrays | None, run: Run | None, first_index: int, start: int, stop: int
    ) -> list[Figures]:
        """The whole buckets ``start .. stop - 1`` in segments: the cache's, and the fills
        around them."""
        width = self.plan.width
        segments: list[Figures] = []
        cursor = start
        for fill in self.plan.fills:
            fill_start, fill_stop = bucket_index(fill.start, width), bucket_index(fill.end, width)
            if cursor < fill_start:
                assert run is not None, "a plan used a cache every signal has a run of"
                segments.append(_figures(run.between(cursor, fill_start)))
            segments.append(_dense(fills, fill_start - first_index, fill_stop - first_index))
            cursor = fill_stop
        if cursor < stop:
            assert run is not None, "a plan used a cache every signal has a run of"
            segments.append(_figures(run.between(cursor, stop)))
        return segments


def _pieces(segments: list[Figures]) -> tuple[Pieces, Pieces, Pieces, Pieces]:
    """Each figure's non-empty texts of consecutive segments, in order."""
    avg, low, high, samples = (
        tuple(text for text in column if text) for column in zip(*segments, strict=True)
    )
    return avg, low, high, samples


async def signal_buckets(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    grid: BucketGrid,
    scope: CustomerScope,
    cache: TrendCache,
) -> list[SignalBuckets]:
    """The buckets of each signal on the grid, in the order of ``signals``; empty buckets
    are left out, and every bucket of a machine that is not the scope's."""
    aligned = await aligned_json(
        conn, machine_id=machine_id, signals=signals, grid=grid, scope=scope, cache=cache
    )
    if aligned is None:
        return [SignalBuckets(signal, ()) for signal in signals]
    first, count = grid_slots(grid)
    times = [first + i * grid.width for i in range(count)]
    return [
        SignalBuckets(
            series.signal,
            tuple(
                Bucket(time, avg, low, high, samples)
                for time, avg, low, high, samples in zip(
                    times,
                    json.loads(series.avg),
                    json.loads(series.min),
                    json.loads(series.max),
                    json.loads(series.samples),
                    strict=True,
                )
                if samples
            ),
        )
        for series in aligned.series
    ]
