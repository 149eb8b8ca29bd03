"""A machine's state, fault-code and product changes, read back as typed events.

OEE reads these signals as changes rather than raw samples, each series with
the change in force when the range starts. Samples of BAD quality stay in the
table for diagnosis but are never read here: a value the source itself
distrusts must not move an OEE figure.
"""

from __future__ import annotations

from datetime import datetime

from models.readings import Quality
from models.telemetry_series import FaultChange, MachineEvents, ProductChange, StateChange
from storage.connections import Connection

STATE_SIGNAL = "state"
FAULT_SIGNAL = "fault_code"
PRODUCT_SIGNAL = "product"
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


# A good state sample at ``ended`` holding another state than the one in force at ``started``.
_STATE_CHANGED = """
SELECT EXISTS (
    SELECT 1 FROM telemetry
    WHERE machine_id = %(machine)s AND signal = %(signal)s AND time = %(ended)s
      AND quality < %(bad)s
      AND value IS DISTINCT FROM (
          SELECT value FROM telemetry
          WHERE machine_id = %(machine)s AND signal = %(signal)s AND time <= %(started)s
            AND quality < %(bad)s
          ORDER BY time DESC LIMIT 1
      )
)
"""


async def state_changed_at(
    conn: Connection, *, machine_id: str, started: datetime, ended: datetime
) -> bool:
    """Whether the machine's state changed at ``ended`` from the one it entered at
    ``started``: a stop really ended then, rather than being cut at the end of the data
    an analysis read."""
    cursor = await conn.execute(
        _STATE_CHANGED,
        {
            "machine": machine_id,
            "signal": STATE_SIGNAL,
            "started": started,
            "ended": ended,
            "bad": int(Quality.BAD),
        },
    )
    row = await cursor.fetchone()
    return bool(row and row[0])
