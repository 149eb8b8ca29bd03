"""Storing the stops analytics found, and reading them back as a list and as a Pareto.

A stop is stored once per shift it cost time in (see migration 010): reading
joins the parts back into one stop, and counts a stop only in its first part.
Reasons are stored as computed from the plant file's fault-code table, so
readers need no plant file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models.oee import DowntimeEvent, ParetoEntry, ShiftDowntime
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_COPY = (
    "COPY downtime_events (machine_id, shift_start, started, ended, category, fault_code,"
    " reason, lost_s, counted) FROM STDIN"
)

# The parts of each stop that overlaps the range, joined; category and reason from
# the most recently computed part (they agree unless a recompute is under way).
_LIST = f"""
SELECT machine_id, started, max(ended),
       (array_agg(category ORDER BY shift_start DESC))[1],
       (array_agg(fault_code ORDER BY shift_start DESC))[1],
       (array_agg(reason ORDER BY shift_start DESC))[1],
       sum(lost_s)
FROM downtime_events
WHERE machine_id = ANY(%(machines)s) AND started < %(until)s AND ended > %(since)s
  AND {scope_filter("machine", "machine_id")}
GROUP BY machine_id, started
ORDER BY started, machine_id
LIMIT %(limit)s
"""

# Like the OEE figures of a range, the Pareto holds the shifts starting in it.
_PARETO = f"""
SELECT reason, fault_code, sum(lost_s) AS lost, count(*) FILTER (WHERE counted)
FROM downtime_events
WHERE machine_id = ANY(%(machines)s) AND shift_start >= %(since)s AND shift_start < %(until)s
  AND {scope_filter("machine", "machine_id")}
GROUP BY reason, fault_code
HAVING sum(lost_s) > 0
ORDER BY lost DESC, reason
"""


async def replace_downtimes(
    conn: Connection,
    *,
    machine_id: str,
    shift_starts: Sequence[datetime],
    downtimes: Sequence[ShiftDowntime],
) -> None:
    """Replace the machine's stops in the given shifts with ``downtimes``.

    Runs in the caller's transaction, next to the shifts' OEE results.
    """
    await conn.execute(
        "DELETE FROM downtime_events WHERE machine_id = %s AND shift_start = ANY(%s)",
        (machine_id, list(shift_starts)),
    )
    if not downtimes:
        return
    async with conn.cursor().copy(_COPY) as copy:
        for part in downtimes:
            event = part.event
            await copy.write_row(
                (
                    event.machine_id,
                    part.shift_start,
                    event.start,
                    event.end,
                    event.category,
                    event.fault_code,
                    event.reason,
                    event.seconds,
                    part.counted,
                )
            )


async def list_downtimes(
    conn: Connection,
    *,
    machine_ids: Sequence[str],
    since: datetime,
    until: datetime,
    limit: int = 500,
    scope: CustomerScope,
) -> list[DowntimeEvent]:
    """The machines' stops overlapping ``[since, until)``, oldest first, at most ``limit``;
    none of machines outside the scope.

    ``seconds`` is the time each stop cost inside planned busy time, over all
    its shifts.
    """
    cursor = await conn.execute(
        _LIST,
        {
            "machines": list(machine_ids),
            "since": since,
            "until": until,
            "limit": limit,
            **scope.params,
        },
    )
    return [
        DowntimeEvent(
            machine_id=machine_id,
            start=started,
            end=ended,
            category=category,
            fault_code=fault_code,
            reason=reason,
            seconds=lost,
        )
        for machine_id, started, ended, category, fault_code, reason, lost in (
            await cursor.fetchall()
        )
    ]


async def downtime_pareto(
    conn: Connection,
    *,
    machine_ids: Sequence[str],
    since: datetime,
    until: datetime,
    scope: CustomerScope,
) -> list[ParetoEntry]:
    """Downtime per reason over the shifts starting in ``[since, until)``, largest first,
    of the scope's machines.

    ``count`` counts stops (a stop across a shift change once); micro-stops are
    reasons of their own ("micro-stop: <reason>").
    """
    cursor = await conn.execute(
        _PARETO, {"machines": list(machine_ids), "since": since, "until": until, **scope.params}
    )
    return [
        ParetoEntry(reason=reason, fault_code=fault_code, seconds=lost, count=count)
        for reason, fault_code, lost, count in await cursor.fetchall()
    ]
