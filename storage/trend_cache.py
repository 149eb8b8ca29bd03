"""Whole trend buckets kept between reads, as the JSON text a response carries.

A chart of the last week asked for again a second later has the same 670 whole
15-minute buckets; only its partial first and last ones changed. Reading and
printing those thousands of numbers again cost most of a trend request
(docs/diagnosis.md, "Benchmark"). This cache keeps, per machine, grid width and
signal, one run of consecutive whole buckets with each figure as JSON text, so
a read slices what it needs and the database reads only the edges.

What may be kept is what storage/trend_pieces.py calls whole: buckets that end
before the machine's rollups did when read. Those change only when late data or
retention rewrites rolled-up history, and both bump the machine's rollup
revision (``trend_rollup_state.revision``). Every read checks the revision in its
own statement; a new one drops the machine's runs here. A read that lowered the
rollups' end (late data not rolled up again yet) drops them too.

Per process, bounded by ``max_buckets`` over all runs, least recently used first
out. Reads on one event loop share it; nothing here awaits.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from storage.trend_rollups import bucket_index


class Entries:
    """Consecutive JSON array entries without brackets (``1.5,null,2``), sliced by index.

    Entries are numbers, ``null`` or strings without commas, so a comma always
    separates two entries.
    """

    __slots__ = ("_offsets", "count", "text")

    def __init__(self, text: str, count: int) -> None:
        self.text = text
        self.count = count
        self._offsets: array[int] | None = None

    @classmethod
    def of(cls, entries: list[str]) -> Entries:
        return cls(",".join(entries), len(entries))

    def slice(self, start: int, stop: int) -> str:
        """Entries ``start..stop - 1`` as text."""
        if start == 0 and stop == self.count:
            return self.text
        if start >= stop:
            return ""
        if self._offsets is None:
            # Where each entry starts, and one past the text's end: built once, on the
            # first partial slice, so a run read whole never pays for it.
            lengths = (len(entry) + 1 for entry in self.text.split(","))
            self._offsets = array("q", accumulate(lengths, initial=0))
        return self.text[self._offsets[start] : self._offsets[stop] - 1]


def joined(*parts: str) -> str:
    """Entry texts one after the other, the empty ones left out."""
    return ",".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive buckets ``start .. start + count - 1`` (indexes of the grid's width
    from ``time_bucket``'s origin), each column's entries for them: a signal's
    average, minimum, maximum and samples."""

    start: int
    count: int
    columns: tuple[Entries, ...]

    @classmethod
    def of(cls, start: int, columns: list[list[str]]) -> Run:
        count = len(columns[0])
        return cls(start, count, tuple(Entries.of(column) for column in columns))

    @property
    def stop(self) -> int:
        return self.start + self.count

    def between(self, start: int, stop: int) -> tuple[str, ...]:
        """Each column's entries for buckets ``start .. stop - 1``, all inside the run."""
        a, b = start - self.start, stop - self.start
        return tuple(column.slice(a, b) for column in self.columns)

    def within(self, start: int, stop: int) -> Run:
        """The buckets ``start .. stop - 1`` of this run, all inside it."""
        texts = self.between(start, stop)
        return Run(start, stop - start, tuple(Entries(text, stop - start) for text in texts))

    def merged_with(self, newer: Run) -> Run:
        """One run over both, ``newer``'s entries where they overlap; ``newer`` alone when
        they neither overlap nor touch."""
        if newer.stop < self.start or self.stop < newer.start:
            return newer
        if self.start >= newer.start and self.stop <= newer.stop:
            return newer
        if newer.start >= self.start and newer.stop <= self.stop:
            return self
        start, stop = min(self.start, newer.start), max(self.stop, newer.stop)
        parts = [newer.between(newer.start, newer.stop)]
        if self.start < newer.start:
            parts.insert(0, self.between(self.start, newer.start))
        if self.stop > newer.stop:
            parts.append(self.between(newer.stop, self.stop))
        texts = [joined(*(part[i] for part in parts)) for i in range(len(self.columns))]
        return Run(start, stop - start, tuple(Entries(text, stop - start) for text in texts))


@dataclass(frozen=True, slots=True)
class RollupState:
    """A machine's rollups as a read found them: ``complete`` before this, at ``revision``."""

    revision: int
    complete: datetime


@dataclass(slots=True)
class _MachineRuns:
    state: RollupState
    # Bumped whenever the runs are dropped: a read planned before may not store after.
    generation: int = 0


RunKey = tuple[str, timedelta, str]


@dataclass(slots=True)
class TrendCache:
    """Runs of whole buckets per (machine, width, signal)."""

    max_buckets: int
    _runs: OrderedDict[RunKey, Run] = field(default_factory=OrderedDict)
    _machines: dict[str, _MachineRuns] = field(default_factory=dict)
    _held: int = 0

    @classmethod
    def disabled(cls) -> TrendCache:
        """Keeps nothing: every read takes all its buckets from the database."""
        return cls(max_buckets=0)

    @property
    def held_buckets(self) -> int:
        return self._held

    def state_of(self, machine_id: str) -> tuple[RollupState, int] | None:
        """The machine's rollup state last seen, and the generation of its runs."""
        known = self._machines.get(machine_id)
        return None if known is None else (known.state, known.generation)

    def note_state(self, machine_id: str, state: RollupState) -> None:
        """What a read found. A new revision (late data claimed, retention) makes the
        machine's runs unsafe, and they go; rollups ending earlier than before (late
        data not claimed yet) cut them back to where the rollups now end. Either way a
        read planned before may not store. An answer older than the state known (its
        revision lower: revisions only grow) changes nothing."""
        known = self._machines.get(machine_id)
        if known is None:
            self._machines[machine_id] = _MachineRuns(state)
            return
        if state.revision < known.state.revision:
            return
        if state.revision != known.state.revision:
            self._drop_machine(machine_id)
            known.generation += 1
        elif state.complete < known.state.complete:
            self._cut_machine(machine_id, state.complete)
            known.generation += 1
        known.state = state

    def run(self, machine_id: str, width: timedelta, signal: str) -> Run | None:
        key = (machine_id, width, signal)
        found = self._runs.get(key)
        if found is not None:
            self._runs.move_to_end(key)
        return found

    def store(
        self, machine_id: str, width: timedelta, signal: str, run: Run, *, generation: int
    ) -> None:
        """Keep ``run`` (merged with what is held), unless the machine's runs were
        dropped since the read was planned (``generation``) or it is too large."""
        known = self._machines.get(machine_id)
        if known is None or known.generation != generation:
            return
        key = (machine_id, width, signal)
        held = self._runs.get(key)
        merged = held.merged_with(run) if held is not None else run
        if merged is held:
            return
        self._put(key, _around(merged, run))

    def _put(self, key: RunKey, run: Run) -> None:
        old = self._runs.pop(key, None)
        if old is not None:
            self._held -= old.count
        if run.count > self.max_buckets:
            return
        self._runs[key] = run
        self._held += run.count
        while self._held > self.max_buckets:
            self._held -= self._runs.popitem(last=False)[1].count

    def _drop_machine(self, machine_id: str) -> None:
        for key in [key for key in self._runs if key[0] == machine_id]:
            self._held -= self._runs.pop(key).count

    def _cut_machine(self, machine_id: str, complete: datetime) -> None:
        """Each run of the machine without the buckets that end after ``complete``."""
        for key in [key for key in self._runs if key[0] == machine_id]:
            run = self._runs.pop(key)
            self._held -= run.count
            stop = min(run.stop, bucket_index(complete, key[1]))
            if stop > run.start:
                self._put(key, run.within(run.start, stop))


def _around(merged: Run, newest: Run) -> Run:
    """``merged`` cut to the newest read's buckets and as many again on either side: a
    live chart's run moves with time instead of growing for as long as it is watched."""
    margin = newest.count
    start, stop = max(merged.start, newest.start - margin), min(merged.stop, newest.stop + margin)
    if (start, stop) == (merged.start, merged.stop):
        return merged
    return merged.within(start, stop)
