"""Condition signals read back while the machine ran, and its state history.

Anomaly baselines and scores judge a machine by its condition signals
(temperatures, vibration, currents) in running states only: a machine standing
still is not anomalous. Samples of BAD quality stay in the table for diagnosis
but are never read here: a value the source itself distrusts must not move a
baseline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from models.readings import Quality
from models.telemetry_series import ConditionSample, ConditionWindow, SignalMean, StateChange
from storage.connections import Connection

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


_SAMPLE_SPACING = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) FROM (
    SELECT extract(epoch FROM time - lag(time) OVER (ORDER BY time)) AS gap FROM (
        SELECT time FROM telemetry
        WHERE machine_id = %(machine)s AND signal = %(signal)s AND quality < %(bad)s
        ORDER BY time DESC LIMIT %(limit)s
    ) AS latest
) AS gaps
WHERE gap > 0
"""

_FIRST_SAMPLE = """
SELECT min(time) FROM telemetry WHERE machine_id = %s AND signal = ANY(%s)
"""


async def sample_spacing(
    conn: Connection, *, machine_id: str, signal: str, samples: int = 200
) -> float | None:
    """The median spacing in seconds of the signal's latest samples; None with fewer than two."""
    cursor = await conn.execute(
        _SAMPLE_SPACING,
        {"machine": machine_id, "signal": signal, "bad": int(Quality.BAD), "limit": samples},
    )
    row = await cursor.fetchone()
    return float(row[0]) if row is not None and row[0] is not None else None


async def first_sample_time(
    conn: Connection, *, machine_id: str, signals: Sequence[str]
) -> datetime | None:
    """When the first sample of any of these signals was taken."""
    cursor = await conn.execute(_FIRST_SAMPLE, (machine_id, list(signals)))
    row = await cursor.fetchone()
    return row[0] if row is not None else None
