"""A machine's part counters tallied by count slot, and the spans its data vouches for.

OEE reads little raw data: counters and coverage are aggregated in SQL, so a
month of 1 Hz samples leaves the database as a few thousand rows. Samples of
BAD quality stay in the table for diagnosis but are never read here: a value
the source itself distrusts must not move an OEE figure.

``machine_tally`` reads each sample of a machine once:

- samples are grouped into cells per signal (``time_bucket``; a counter's
  cells are also cut at the count-slot bounds with ``width_bucket``);
- a counter that only grows reads its lowest value first and its highest
  last: a cell holds high - low parts, and ``lag()`` gives the step from the
  previous cell (low - previous high). Where a cell's lowest value lies below
  the previous cell's highest, the counter fell (a reset or a rollover): that
  cell and the next are recounted reading by reading with the rules of
  ``analytics.counter_increments``, at each counter's own width. (A fall that never goes below the
  previous minute's level, which only a counter reset twice within two minutes
  or a glitching one produces, is read as net growth over the cell.)
- the cells of all signals, joined wherever the silence between them stays
  within the gap tolerance, are the spans the data vouches for. Cells are
  never wider than the gap tolerance, so a gap always lies between cells.

JIT compilation is switched off for these statements: compiling costs more
than running them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.counter_tally import (
    CounterTally,
    Increments,
    counter_modulus,
    rollover_window,
)
from models.intervals import Interval
from models.plant import CounterBits
from models.readings import Quality
from storage.connections import Connection

GOOD_SIGNAL = "good_count"
REJECT_SIGNAL = "reject_count"

# Parts between two readings: growth, a wrap through the counter's modulus, a reset
# to 0, or a jump to an unrelated value, which counts nothing (see counter_increments).
_PARTS = """
CASE WHEN {now} >= {before} THEN {now} - {before}
     WHEN {now} + {modulus} - {before} <= {wrap} THEN {now} + {modulus} - {before}
     WHEN {now} <= {wrap} THEN {now}
     ELSE 0 END
"""
_RECOUNTED_PARTS = _PARTS.format(
    now="value", before="before", modulus="width.modulus", wrap="width.wrap"
)

# One pass over a machine's samples. Cells: per signal and time bucket, cut at the
# slot bounds for the counters. A counter that only grows reads its lowest value
# first and its highest last, so a cell holds high - low parts and the step from
# the previous cell low - previous high. A cell whose lowest value lies below the
# previous cell's highest saw a drop (a reset, a rollover), inside or at its start:
# it and the cell after it are recounted reading by reading and returned as loose
# increments, each counter at its own modulus and rollover window (``widths``).
# Coverage: the cells of every signal joined into runs with at most the gap
# tolerance between them.
_MACHINE_TALLY = f"""
WITH widths AS (
    SELECT signal, modulus, wrap
    FROM unnest(%(counters)s::text[], %(moduli)s::float8[], %(windows)s::float8[])
      AS counter (signal, modulus, wrap)
), readings AS (
    SELECT signal, time, value FROM telemetry
    WHERE machine_id = %(machine)s AND time >= %(since)s AND time <= %(until)s
      AND quality < %(bad)s
    UNION ALL
    SELECT wanted.signal, before.time, before.value
    FROM widths AS wanted
    CROSS JOIN LATERAL (
        SELECT time, value FROM telemetry
        WHERE machine_id = %(machine)s AND signal = wanted.signal AND time < %(since)s
          AND quality < %(bad)s
        ORDER BY time DESC LIMIT 1
    ) AS before
), cells AS MATERIALIZED (
    SELECT signal,
           CASE WHEN signal = ANY(%(counters)s)
                THEN width_bucket(time - interval '1 microsecond', %(bounds)s::timestamptz[])
                ELSE 0 END AS slot,
           time_bucket(%(cell)s, time) AS bucket,
           min(time) AS first_time, max(time) AS last_time,
           min(value) AS low, max(value) AS high
    FROM readings
    GROUP BY signal, bucket, slot
), steps AS (
    SELECT signal, slot, first_time, last_time, low, high,
           lag(last_time) OVER w AS before_time,
           lag(high) OVER w AS before_value,
           lag(slot) OVER w AS before_slot,
           coalesce(low < lag(high) OVER w, false) AS dropped
    FROM cells
    WHERE signal = ANY(%(counters)s)
    WINDOW w AS (PARTITION BY signal ORDER BY first_time)
), judged AS MATERIALIZED (
    SELECT signal, slot, first_time, last_time, before_time, high - low AS inside,
           low - before_value AS across,
           before_slot <> slot OR first_time - before_time > %(max_gap)s AS loose,
           dropped OR coalesce(lag(dropped) OVER w, false) AS recount
    FROM steps
    WINDOW w AS (PARTITION BY signal ORDER BY first_time)
), buckets AS (
    SELECT min(first_time) AS first_time, max(last_time) AS last_time
    FROM cells GROUP BY bucket
), marked AS (
    SELECT first_time, last_time,
           CASE WHEN first_time - lag(last_time) OVER (ORDER BY first_time) <= %(max_gap)s
                THEN 0 ELSE 1 END AS starts_run
    FROM buckets
), runs AS (
    SELECT first_time, last_time, sum(starts_run) OVER (ORDER BY first_time) AS run
    FROM marked
)
SELECT signal, slot,
       coalesce(sum(inside) FILTER (WHERE NOT recount), 0)
         + coalesce(sum(across) FILTER (WHERE NOT recount AND NOT loose), 0),
       min(first_time), max(last_time),
       array_agg(before_time) FILTER (WHERE loose AND NOT recount),
       array_agg(first_time) FILTER (WHERE loose AND NOT recount),
       array_agg(across) FILTER (WHERE loose AND NOT recount)
FROM judged
GROUP BY signal, slot
UNION ALL
SELECT dropped.signal, 0, 0, NULL, NULL,
       array_agg(recounted.before_time), array_agg(recounted.time),
       array_agg(recounted.parts)
FROM judged AS dropped
JOIN widths AS width ON width.signal = dropped.signal
CROSS JOIN LATERAL (
    SELECT before_time, time, {_RECOUNTED_PARTS} AS parts
    FROM (
        SELECT time, value, lag(time) OVER (ORDER BY time) AS before_time,
               lag(value) OVER (ORDER BY time) AS before
        FROM telemetry
        WHERE machine_id = %(machine)s AND signal = dropped.signal AND quality < %(bad)s
          AND time >= coalesce(dropped.before_time, dropped.first_time)
          AND time <= dropped.last_time
    ) AS cell
    WHERE before IS NOT NULL
) AS recounted
WHERE dropped.recount
GROUP BY dropped.signal
UNION ALL
SELECT NULL, NULL, NULL, min(first_time), max(last_time), NULL, NULL, NULL
FROM runs
GROUP BY run
"""


def _counter_seen(
    first: datetime | None, last: datetime | None, gaps: Sequence[tuple[datetime, datetime]]
) -> tuple[Interval, ...]:
    """A counter's runs of readings: from its first to its last, cut at the gaps."""
    if first is None or last is None:
        return ()
    spans, cursor = [], first
    for before, after in sorted(gaps):
        spans.append(Interval(cursor, before))
        cursor = after
    spans.append(Interval(cursor, last))
    return tuple(spans)


def _tally(rows: Sequence[Sequence[Any]], slot_count: int, max_gap: timedelta) -> CounterTally:
    slot_parts = np.zeros(slot_count)
    starts: list[datetime] = []
    ends: list[datetime] = []
    counts: list[float] = []
    firsts, lasts = [], []
    for slot, parts, first, last, loose_starts, loose_ends, loose_parts in rows:
        slot_parts[slot] += parts
        if first is not None:
            firsts.append(first)
            lasts.append(last)
        if loose_starts is not None:
            starts += loose_starts
            ends += loose_ends
            counts += loose_parts
    gaps = [(a, b) for a, b in zip(starts, ends, strict=True) if b - a > max_gap]
    loose = Increments(
        np.array([t.timestamp() for t in starts], dtype=float),
        np.array([t.timestamp() for t in ends], dtype=float),
        np.array(counts, dtype=float),
    )
    seen = _counter_seen(min(firsts, default=None), max(lasts, default=None), gaps)
    return CounterTally(slot_parts=slot_parts, loose=loose, seen=seen)


@dataclass(frozen=True, slots=True)
class MachineTally:
    """A machine's counters tallied by slot, and the spans its samples vouch for."""

    counters: dict[str, CounterTally]
    seen: tuple[Interval, ...]


async def machine_tally(
    conn: Connection,
    *,
    machine_id: str,
    since: datetime,
    until: datetime,
    counters: Mapping[str, CounterBits],
    bounds: Sequence[datetime],
    max_gap: timedelta,
    cell: timedelta,
) -> MachineTally:
    """The counters' parts in ``[since, until]`` by slot between ``bounds``, and the runs
    of the machine's samples (any signal) never further apart than ``max_gap``.

    ``counters`` maps each counter signal to its width in bits (wraps at 2**bits).

    Each counter's reading before ``since`` is included, so the increment across
    ``since`` is known. ``cell`` must not be wider than ``max_gap``.
    """
    if cell > max_gap:
        raise ValueError("cells wider than the gap tolerance would hide gaps")
    async with conn.transaction():
        await conn.execute("SET LOCAL jit = off")
        # The planner sizes each cell's first()/last() state at 8 kB, ten times what it
        # takes, and would sort a week of 1 Hz samples to disk rather than hash them.
        await conn.execute("SET LOCAL work_mem = '64MB'")
        await conn.execute("SET LOCAL hash_mem_multiplier = 8")
        cursor = await conn.execute(
            _MACHINE_TALLY,
            {
                "machine": machine_id,
                "counters": list(counters),
                "moduli": [counter_modulus(bits) for bits in counters.values()],
                "windows": [rollover_window(bits) for bits in counters.values()],
                "since": since,
                "until": until,
                "bounds": list(bounds),
                "cell": cell,
                "max_gap": max_gap,
                "bad": int(Quality.BAD),
            },
        )
        rows = await cursor.fetchall()
    by_counter: dict[str, list[Sequence[Any]]] = {c: [] for c in counters}
    seen = []
    for signal, *row in rows:
        if signal is None:
            seen.append(Interval(row[2], row[3]))
        else:
            by_counter[signal].append(row)
    return MachineTally(
        counters={c: _tally(r, len(bounds) + 1, max_gap) for c, r in by_counter.items()},
        seen=tuple(sorted(seen, key=lambda s: s.start)),
    )
