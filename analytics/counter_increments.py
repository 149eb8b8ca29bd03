"""Parts produced between raw PLC counter readings, across resets and 32-bit rollovers.

A PLC counter only grows, except that it wraps from 2**32 - 1 to 0 and that an
operator or a restart may reset it to 0. Between two readings:

- the value grew: the difference was produced;
- the value fell and the previous reading sat within ``ROLLOVER_WINDOW`` of
  2**32 while the new one is small: it wrapped, the distance through 2**32 was
  produced;
- the value fell otherwise to a small value (within ``ROLLOVER_WINDOW`` of 0):
  the counter was reset, and the new value is what was produced since the reset
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

COUNTER_MODULUS = 2.0**32
# A wrap is believed only when it means fewer parts than this in one sampling
# interval; any larger drop is read as a reset. Lines make a few parts a second.
ROLLOVER_WINDOW = 2.0**16

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


def counter_delta(previous: float, current: float) -> float:
    """Parts counted between two readings of one counter."""
    return float(counter_deltas(np.array([previous, current]))[0])


def counter_deltas(values: Floats) -> Floats:
    """Parts counted between each pair of consecutive readings of one counter."""
    previous, current = values[:-1], values[1:]
    wrapped = current + COUNTER_MODULUS - previous
    reset = np.where(current <= ROLLOVER_WINDOW, current, 0.0)
    fallen = np.where(wrapped <= ROLLOVER_WINDOW, wrapped, reset)
    return np.where(current >= previous, current - previous, fallen)


def counter_increments(samples: Sequence[CounterSample]) -> Increments:
    """The increments between consecutive readings, in time order."""
    ordered = sorted(samples, key=lambda s: s.time)
    if len(ordered) < 2:
        return Increments.empty()
    times = np.array([s.time.timestamp() for s in ordered], dtype=float)
    values = np.array([s.value for s in ordered], dtype=float)
    deltas = counter_deltas(values)
    distinct = times[1:] > times[:-1]
    return Increments(times[:-1][distinct], times[1:][distinct], deltas[distinct])


def slot_of(times: Floats, bounds: Floats) -> npt.NDArray[np.intp]:
    """The slot each instant falls in: how many bounds lie before it."""
    return np.searchsorted(bounds, times, side="left")


def tally_counter(
    samples: Sequence[CounterSample], bounds: Floats, *, max_gap_s: float
) -> CounterTally:
    """The tally of one counter's samples against ``bounds`` (sorted POSIX seconds)."""
    increments = counter_increments(samples)
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
