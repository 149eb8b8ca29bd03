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
nothing about counting changes. ``models.counter_tally.CounterTally`` holds a
counter's parts per slot; the storage reader computes it in SQL,
``tally_counter`` here computes the same from samples in memory (for tests and
for checking the SQL). The wrap modulus and ``rollover_window``, which the SQL
applies too, are in ``models.counter_tally``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from analytics.data_coverage import seen_spans
from models.counter_tally import (
    CounterTally,
    Floats,
    Increments,
    counter_modulus,
    rollover_window,
)
from models.plant import CounterBits
from models.telemetry_series import CounterSample


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
