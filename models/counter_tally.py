"""Part counters: where a counter of a given width wraps, and its parts tallied by slot.

The storage reader tallies counters in SQL and ``analytics.counter_increments``
does the same from samples in memory; both apply the wrap and reset rules
written out there, with the modulus and window defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.intervals import Interval
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
