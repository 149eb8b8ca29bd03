"""Good parts, rejects and their ideal time per shift, from counter tallies.

Only parts made inside a shift's planned time with data count. Counting
changes at a few instants only: shift and break edges, product changes (the
ideal cycle time changes) and the edges of start-up windows (rejects change
from start-up to production rejects). ``count_slots`` lists those instants as
the bounds of slots and says what holds in each slot; the counter tallies
(``models.counter_tally``) hold the parts per slot, and
``parts_per_shift`` adds them up, sharing out every increment that crosses a
bound or a data gap by the time it spends on each side.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from models.counter_tally import CounterTally, Floats, Increments
from models.intervals import Interval
from models.telemetry_series import ProductChange

Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CountSlots:
    """The slots between ``bounds``: slot ``k`` is ``[bounds[k-1], bounds[k])``.

    Per slot: the shift whose planned time it lies in (-1 for none), the ideal
    cycle time of the product running (0 when unknown) and whether it is
    start-up time.
    """

    bounds: tuple[datetime, ...]
    shift: Ints
    cycle_s: Floats
    startup: Bools

    @property
    def bounds_s(self) -> Floats:
        return np.array([b.timestamp() for b in self.bounds], dtype=float)


@dataclass(frozen=True, slots=True)
class ShiftParts:
    """The parts of one shift; ideal times at the ideal cycle of the product running."""

    good: float
    reject: float
    ideal_output_s: float
    reject_ideal_s: float
    startup_rejects: float
    startup_reject_ideal_s: float


def _inside(starts: Floats, ends: Floats, times: Floats) -> tuple[npt.NDArray[np.bool_], Ints]:
    """For each time: whether it lies in one of the sorted, disjoint intervals, and which."""
    index = np.searchsorted(starts, times, side="right") - 1
    safe = np.clip(index, 0, max(len(starts) - 1, 0))
    inside = (index >= 0) & (times < ends[safe]) if len(starts) else np.zeros(len(times), bool)
    return inside, safe


def count_slots(
    planned_by_shift: Sequence[Sequence[Interval]],
    products: Sequence[ProductChange],
    ideal_cycle_s: Mapping[int, float],
    startup: Sequence[Interval],
) -> CountSlots:
    """The slots for the given shifts' planned intervals (shifts in time order)."""
    planned = [(span, index) for index, spans in enumerate(planned_by_shift) for span in spans]
    edges = {edge for span, _ in planned for edge in (span.start, span.end)}
    if planned:
        first, last = planned[0][0].start, planned[-1][0].end
        edges |= {p.time for p in products if first < p.time < last}
        edges |= {e for w in startup for e in (w.start, w.end) if first < e < last}
    bounds = tuple(sorted(edges))
    # What holds in a slot is what holds at its start; slot 0 lies before all planned time.
    starts = np.array([-np.inf] + [b.timestamp() for b in bounds], dtype=float)

    planned_starts = np.array([s.start.timestamp() for s, _ in planned], dtype=float)
    planned_ends = np.array([s.end.timestamp() for s, _ in planned], dtype=float)
    in_shift, which = _inside(planned_starts, planned_ends, starts)
    shift_of = np.array([i for _, i in planned], dtype=np.intp)
    shift = np.where(in_shift, shift_of[which] if len(planned) else -1, -1)

    ordered = sorted(products, key=lambda p: p.time)
    change_times = np.array([p.time.timestamp() for p in ordered], dtype=float)
    cycles = np.array([0.0, *(ideal_cycle_s.get(p.code, 0.0) for p in ordered)])
    cycle_s = cycles[np.searchsorted(change_times, starts, side="right")]

    window_starts = np.array([w.start.timestamp() for w in startup], dtype=float)
    window_ends = np.array([w.end.timestamp() for w in startup], dtype=float)
    in_startup, _ = _inside(window_starts, window_ends, starts)
    return CountSlots(bounds=bounds, shift=shift, cycle_s=cycle_s, startup=in_startup)


def _countable_pieces(
    slots: CountSlots, covered: Sequence[Interval]
) -> tuple[Floats, Floats, Ints]:
    """Starts, ends and slots of the parts of planned slots the data vouches for."""
    bounds = slots.bounds_s
    starts, ends, owners = [], [], []
    for span in covered:
        lower, upper = span.start.timestamp(), span.end.timestamp()
        first = int(np.searchsorted(bounds, lower, side="right"))
        last = int(np.searchsorted(bounds, upper, side="left"))
        cuts = [lower, *bounds[first:last].tolist(), upper]
        for slot, (a, b) in enumerate(itertools.pairwise(cuts), start=first):
            if b > a and slots.shift[slot] >= 0:
                starts.append(a)
                ends.append(b)
                owners.append(slot)
    return np.array(starts), np.array(ends), np.array(owners, dtype=np.intp)


def _share_out(loose: Increments, pieces: tuple[Floats, Floats, Ints], slot_count: int) -> Floats:
    """Parts per slot from increments spread evenly over their time, countable part only."""
    starts, ends, owners = pieces
    parts = np.zeros(slot_count)
    lengths = loose.ends - loose.starts
    first = np.searchsorted(ends, loose.starts, side="right")
    last = np.searchsorted(starts, loose.ends, side="left")
    for i in np.flatnonzero(last > first):
        lo, hi = first[i], last[i]
        overlap = np.minimum(ends[lo:hi], loose.ends[i]) - np.maximum(
            starts[lo:hi], loose.starts[i]
        )
        np.add.at(parts, owners[lo:hi], loose.counts[i] * np.clip(overlap, 0.0, None) / lengths[i])
    return parts


def parts_per_shift(
    slots: CountSlots,
    *,
    good: CounterTally,
    reject: CounterTally,
    covered: Sequence[Interval],
    shifts: int,
) -> list[ShiftParts]:
    """Good parts, rejects and ideal times of each of ``shifts`` shifts."""
    slot_count = len(slots.bounds) + 1
    pieces = _countable_pieces(slots, covered)
    planned = slots.shift >= 0
    owner = np.where(planned, slots.shift, 0)

    good_parts = good.slot_parts[:slot_count] + _share_out(good.loose, pieces, slot_count)
    reject_parts = reject.slot_parts[:slot_count] + _share_out(reject.loose, pieces, slot_count)

    def per_shift(by_slot: Floats) -> Floats:
        totals = np.bincount(owner[planned], weights=by_slot[planned], minlength=shifts)
        return totals.astype(float)

    startup = slots.startup.astype(float)
    good_total, reject_total = per_shift(good_parts), per_shift(reject_parts)
    good_ideal = per_shift(good_parts * slots.cycle_s)
    reject_ideal = per_shift(reject_parts * slots.cycle_s)
    startup_rejects = per_shift(reject_parts * startup)
    startup_ideal = per_shift(reject_parts * startup * slots.cycle_s)
    return [
        ShiftParts(
            good=float(good_total[i]),
            reject=float(reject_total[i]),
            ideal_output_s=float(good_ideal[i] + reject_ideal[i]),
            reject_ideal_s=float(reject_ideal[i]),
            startup_rejects=float(startup_rejects[i]),
            startup_reject_ideal_s=float(startup_ideal[i]),
        )
        for i in range(shifts)
    ]
