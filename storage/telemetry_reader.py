"""Reading telemetry back as the typed series and tallies the analytics work on.

Samples of BAD quality stay in the table for diagnosis but are never read
here: a value the source itself distrusts must not move an OEE figure or a
baseline.

OEE reads little raw data. State, fault-code and product changes come as
events; counters and coverage are aggregated in SQL, so a month of 1 Hz
samples leaves the database as a few thousand rows:

``machine_tally`` reads each sample of a machine once:

- samples are grouped into cells per signal (``time_bucket``; a counter's
  cells are also cut at the count-slot bounds with ``width_bucket``);
- a counter that only grows reads its lowest value first and its highest
  last: a cell holds high - low parts, and ``lag()`` gives the step from the
  previous cell (low - previous high). Where a cell's lowest value lies below
  the previous cell's highest, the counter fell (a reset or a 32-bit
  rollover): that cell and the next are recounted reading by reading with the
  rules of ``analytics.counter_increments``. (A fall that never goes below the
  previous minute's level, which only a counter reset twice within two minutes
  or a glitching one produces, is read as net growth over the cell.)
- the cells of all signals, joined wherever the silence between them stays
  within the gap tolerance, are the spans the data vouches for. Cells are
  never wider than the gap tolerance, so a gap always lies between cells.

JIT compilation is switched off for these statements: compiling costs more
than running them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from analytics.counter_increments import (
    COUNTER_MODULUS,
    ROLLOVER_WINDOW,
    CounterTally,
    Increments,
)
from analytics.intervals import Interval
from analytics.telemetry_series import (
    ConditionSample,
    ConditionWindow,
    FaultChange,
    MachineEvents,
    ProductChange,
    SignalMean,
    StateChange,
)
from models.readings import Quality
from storage.connections import Connection

STATE_SIGNAL = "state"
FAULT_SIGNAL = "fault_code"
PRODUCT_SIGNAL = "product"
GOOD_SIGNAL = "good_count"
REJECT_SIGNAL = "reject_count"
_EVENT_SIGNALS = [STATE_SIGNAL, FAULT_SIGNAL, PRODUCT_SIGNAL]

# Per signal: the samples inside [since, until] and the last one before since.
_EVENTS = """
SELECT signal, time, value FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= %(since)s AND time <= %(until)s AND quality < %(bad)s
UNION ALL
SELECT wanted.signal, before.time, before.value
FROM unnest(%(signals)s::text[]) AS wanted (signal)
CROSS JOIN LATERAL (
    SELECT time, value FROM telemetry
    WHERE machine_id = %(machine)s AND signal = wanted.signal
      AND time < %(since)s AND quality < %(bad)s
    ORDER BY time DESC LIMIT 1
) AS before
ORDER BY signal, time
"""

# Parts between two readings: growth, a wrap through 2**32, a reset to 0, or a
# jump to an unrelated value, which counts nothing (see counter_increments).
_PARTS = """
CASE WHEN {now} >= {before} THEN {now} - {before}
     WHEN {now} + %(modulus)s - {before} <= %(wrap)s THEN {now} + %(modulus)s - {before}
     WHEN {now} <= %(wrap)s THEN {now}
     ELSE 0 END
"""

# One pass over a machine's samples. Cells: per signal and time bucket, cut at the
# slot bounds for the counters. A counter that only grows reads its lowest value
# first and its highest last, so a cell holds high - low parts and the step from
# the previous cell low - previous high. A cell whose lowest value lies below the
# previous cell's highest saw a drop (a reset, a rollover), inside or at its start:
# it and the cell after it are recounted reading by reading and returned as loose
# increments. Coverage: the cells of every signal joined into runs with at most
# the gap tolerance between them.
_MACHINE_TALLY = f"""
WITH readings AS (
    SELECT signal, time, value FROM telemetry
    WHERE machine_id = %(machine)s AND time >= %(since)s AND time <= %(until)s
      AND quality < %(bad)s
    UNION ALL
    SELECT wanted.signal, before.time, before.value
    FROM unnest(%(counters)s::text[]) AS wanted (signal)
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
CROSS JOIN LATERAL (
    SELECT before_time, time, {_PARTS.format(now="value", before="before")} AS parts
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

_STATE_CHANGES = """
SELECT time, value FROM telemetry
WHERE machine_id = %(machine)s AND signal = 'state'
  AND time <= %(until)s AND quality < %(bad)s
ORDER BY time
"""

# The spans the machine spent in a running state, from the state in force at
# `since` up to `until`; condition samples are joined onto them.
_RUNNING_SPANS = """
WITH changes AS (
    (SELECT time, value FROM telemetry
     WHERE machine_id = %(machine)s AND signal = 'state'
       AND time <= %(since)s AND quality < %(bad)s
     ORDER BY time DESC LIMIT 1)
    UNION ALL
    SELECT time, value FROM telemetry
    WHERE machine_id = %(machine)s AND signal = 'state'
      AND time > %(since)s AND time < %(until)s AND quality < %(bad)s
), spans AS (
    SELECT time AS start, lead(time, 1, 'infinity') OVER (ORDER BY time) AS finish, value
    FROM changes
), running AS (
    SELECT start, finish FROM spans WHERE value = ANY(%(running)s)
)
"""

_RUNNING_SAMPLES = (
    _RUNNING_SPANS
    + """
SELECT c.time, c.signal, c.value
FROM telemetry AS c
JOIN running AS r ON c.time >= r.start AND c.time < r.finish
WHERE c.machine_id = %(machine)s AND c.signal = ANY(%(signals)s)
  AND c.time >= %(since)s AND c.time < %(until)s AND c.quality < %(bad)s
ORDER BY c.time, c.signal
"""
)

_RUNNING_WINDOWS = (
    _RUNNING_SPANS
    + """
SELECT time_bucket(%(width)s, c.time, %(origin)s) AS bucket, c.signal, avg(c.value), count(*)
FROM telemetry AS c
JOIN running AS r ON c.time >= r.start AND c.time < r.finish
WHERE c.machine_id = %(machine)s AND c.signal = ANY(%(signals)s)
  AND c.time >= %(since)s AND c.time < %(until)s AND c.quality < %(bad)s
GROUP BY bucket, c.signal
ORDER BY bucket, c.signal
"""
)


async def latest_telemetry_time(conn: Connection) -> datetime | None:
    """The newest sample time of any machine: the plant's "now" in simulated time."""
    cursor = await conn.execute("SELECT time FROM telemetry ORDER BY time DESC LIMIT 1")
    row = await cursor.fetchone()
    return row[0] if row else None


async def machine_events(
    conn: Connection, *, machine_id: str, since: datetime, until: datetime
) -> MachineEvents:
    """State, fault-code and product changes of a machine in ``[since, until]``, each
    series with the change in force at ``since``."""
    cursor = await conn.execute(
        _EVENTS,
        {
            "machine": machine_id,
            "signals": _EVENT_SIGNALS,
            "since": since,
            "until": until,
            "bad": int(Quality.BAD),
        },
    )
    rows: dict[str, list[tuple[datetime, float]]] = {s: [] for s in _EVENT_SIGNALS}
    for signal, time, value in await cursor.fetchall():
        rows[signal].append((time, value))
    return MachineEvents(
        machine_id=machine_id,
        states=tuple(StateChange(t, int(v)) for t, v in rows[STATE_SIGNAL]),
        faults=tuple(FaultChange(t, int(v)) for t, v in rows[FAULT_SIGNAL]),
        products=tuple(ProductChange(t, int(v)) for t, v in rows[PRODUCT_SIGNAL]),
    )


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
    counters: Sequence[str],
    bounds: Sequence[datetime],
    max_gap: timedelta,
    cell: timedelta,
) -> MachineTally:
    """The counters' parts in ``[since, until]`` by slot between ``bounds``, and the runs
    of the machine's samples (any signal) never further apart than ``max_gap``.

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
                "since": since,
                "until": until,
                "bounds": list(bounds),
                "cell": cell,
                "max_gap": max_gap,
                "modulus": COUNTER_MODULUS,
                "wrap": ROLLOVER_WINDOW,
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


async def state_changes(conn: Connection, *, machine_id: str, until: datetime) -> list[StateChange]:
    """Every state change of a machine up to ``until``, oldest first.

    Meant for the early history (fitting a baseline), not for long stretches.
    """
    cursor = await conn.execute(
        _STATE_CHANGES, {"machine": machine_id, "until": until, "bad": int(Quality.BAD)}
    )
    return [StateChange(time, int(value)) for time, value in await cursor.fetchall()]


async def running_condition_samples(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    running_states: Collection[int],
    since: datetime,
    until: datetime,
) -> list[ConditionSample]:
    """Condition samples in ``[since, until)`` taken while the machine was running."""
    cursor = await conn.execute(
        _RUNNING_SAMPLES,
        {
            "machine": machine_id,
            "signals": list(signals),
            "running": [float(s) for s in running_states],
            "since": since,
            "until": until,
            "bad": int(Quality.BAD),
        },
    )
    return [ConditionSample(t, signal, v) for t, signal, v in await cursor.fetchall()]


async def running_condition_windows(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    running_states: Collection[int],
    since: datetime,
    until: datetime,
    width: timedelta,
    origin: datetime,
) -> list[ConditionWindow]:
    """Averages per window of ``width`` (aligned to ``origin``) of the condition
    samples in ``[since, until)`` taken while the machine was running.

    Windows without any running sample are absent.
    """
    cursor = await conn.execute(
        _RUNNING_WINDOWS,
        {
            "machine": machine_id,
            "signals": list(signals),
            "running": [float(s) for s in running_states],
            "since": since,
            "until": until,
            "width": width,
            "origin": origin,
            "bad": int(Quality.BAD),
        },
    )
    windows: dict[datetime, list[SignalMean]] = {}
    for start, signal, mean, count in await cursor.fetchall():
        windows.setdefault(start, []).append(SignalMean(signal, float(mean), int(count)))
    return [
        ConditionWindow(machine_id, start, start + width, tuple(means))
        for start, means in windows.items()
    ]
