"""Parts produced between raw PLC counter readings, across resets and rollovers.

A PLC counter only grows, except that it wraps from 2**bits - 1 to 0 (the plant
file gives each counter's width, 16 or 32 bits) and that an operator or a
restart may reset it to 0. Between two readings:

- the value grew: the difference was produced;
- the value fell and the distance through 2**bits is within the counter's
  ``rollover_window``: it wrapped, that distance was produced;
- the value fell otherwise to a small value (within the window of 0): the
  counter was reset, and the new value is what was produced since the reset
  (parts between the last reading and the reset are lost, at most one sampling
  interval's worth);
- the value fell to a large value: not a count of anything (a replaced PLC, a
  restored backup, a glitch); nothing is counted rather than billions of parts.

The storage reader applies the same rules in SQL on minute cells; it reads a
fall that never goes below the previous minute's level (a counter reset twice
within two minutes, or a glitch) as net growth over that minute.

The parts of an increment are spread evenly over the time between its two
readings. OEE needs them per *slot*: the stretches between a list of bounds
(shift and break edges, product changes, start-up windows) inside which
nothing about counting changes. ``CounterTally`` holds a counter's parts per
slot; the storage reader computes it in SQL, ``tally_counter`` here computes
the same from samples in memory (for tests and for checking the SQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analytics.data_coverage import seen_spans
from analytics.intervals import Interval
from analytics.telemetry_series import CounterSample
from models.plant import CounterBits

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Increments:
    """``counts[i]`` parts made between readings at ``starts[i]`` and ``ends[i]``.

    Times are POSIX seconds; arrays, because a month of 1 Hz readings is
    millions of increments.
    """

    starts: Floats
    ends: Floats
    counts: Floats

    @classmethod
    def empty(cls) -> Increments:
        nothing = np.zeros(0)
        return cls(nothing, nothing, nothing)


@dataclass(frozen=True, slots=True)
class CounterTally:
    """One counter's parts by slot, over a stretch of time.

    ``slot_parts[k]`` holds the parts of increments lying wholly inside slot
    ``k``: after ``k`` of the bounds (slot 0 is before the first bound). Such an
    increment is never longer than the gap tolerance, so it lies in time the
    data vouches for. Every other increment, across a bound or across a gap, is
    in ``loose`` for the caller to share out exactly. ``seen`` holds the runs of
    this counter's readings (see ``analytics.data_coverage``).
    """

    slot_parts: Floats
    loose: Increments
    seen: tuple[Interval, ...]


def counter_modulus(bits: CounterBits) -> float:
    """Where a counter of this width wraps to 0."""
    return 2.0**bits


# The window trades two misreadings against each other. A wrap of more parts than
# the window reads as a reset and loses the parts made before the wrap; a reset from
# within the window of the top reads as a wrap and invents up to a window of parts.
# A step that counts in full lasts at most the gap tolerance (120 s by default;
# longer steps lie across a gap). 32 bits: 2**16 parts in a step is far beyond any
# line, and a reset almost never lands in the top 2**16 of 2**32. 16 bits: the whole
# range is 2**16, so the window must be a small part of it. 2**12 (a sixteenth)
# still holds 120 s at 34 parts a second (over 2,000 a minute; 136 a second at the
# usual 30 s sampling), and only a reset from the top 4096 is taken for a wrap. A
# quarter of the range would take one reset in four for a wrap, inventing up to
# 16384 parts.
def rollover_window(bits: CounterBits) -> float:
    """The most parts a fall may mean to be believed as a wrap, or as a reset."""
    return min(2.0**16, counter_modulus(bits) / 16)


def counter_delta(previous: float, current: float, *, bits: CounterBits) -> float:
    """Parts counted between two readings of one counter ``bits`` wide."""
    return float(counter_deltas(np.array([previous, current]), bits=bits)[0])


def counter_deltas(values: Floats, *, bits: CounterBits) -> Floats:
    """Parts counted between each pair of consecutive readings of one counter."""
    modulus, window = counter_modulus(bits), rollover_window(bits)
    previous, current = values[:-1], values[1:]
    wrapped = current + modulus - previous
    reset = np.where(current <= window, current, 0.0)
    fallen = np.where(wrapped <= window, wrapped, reset)
    return np.where(current >= previous, current - previous, fallen)


def counter_increments(samples: Sequence[CounterSample], *, bits: CounterBits) -> Increments:
    """The increments between consecutive readings, in time order."""
    ordered = sorted(samples, key=lambda s: s.time)
    if len(ordered) < 2:
        return Increments.empty()
    times = np.array([s.time.timestamp() for s in ordered], dtype=float)
    values = np.array([s.value for s in ordered], dtype=float)
    deltas = counter_deltas(values, bits=bits)
    distinct = times[1:] > times[:-1]
    return Increments(times[:-1][distinct], times[1:][distinct], deltas[distinct])


def slot_of(times: Floats, bounds: Floats) -> npt.NDArray[np.intp]:
    """The slot each instant falls in: how many bounds lie before it."""
    return np.searchsorted(bounds, times, side="left")


def tally_counter(
    samples: Sequence[CounterSample], bounds: Floats, *, max_gap_s: float, bits: CounterBits
) -> CounterTally:
    """The tally of one counter's samples against ``bounds`` (sorted POSIX seconds);
    the counter is ``bits`` wide."""
    increments = counter_increments(samples, bits=bits)
    first, last = slot_of(increments.starts, bounds), slot_of(increments.ends, bounds)
    loose = (first != last) | (increments.ends - increments.starts > max_gap_s)
    slot_parts = np.bincount(
        last[~loose], weights=increments.counts[~loose], minlength=len(bounds) + 1
    ).astype(float)
    return CounterTally(
        slot_parts=slot_parts,
        loose=Increments(
            increments.starts[loose], increments.ends[loose], increments.counts[loose]
        ),
        seen=tuple(seen_spans([s.time for s in samples], max_gap_s=max_gap_s)),
    )
