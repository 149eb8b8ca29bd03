"""MTBF and MTTR per machine from the stored shift results and stops.

Over the shifts starting in the range: failures = breakdown stops (a stop across
a shift change counted once), running time = the machines' stored running time
(actual production time), repair time = breakdown time inside planned busy time.
MTBF = running time / failures, MTTR = repair time / failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models.oee import DowntimeCategory, OeeScope, ReliabilityFigures
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_RELIABILITY = f"""
WITH running AS (
    SELECT subject_id AS machine_id, sum(running_s) AS running_s
    FROM oee_results
    WHERE scope = %(scope)s AND subject_id = ANY(%(machines)s)
      AND shift_start >= %(since)s AND shift_start < %(until)s
    GROUP BY subject_id
), failures AS (
    SELECT machine_id, count(*) FILTER (WHERE counted) AS failures, sum(lost_s) AS repair_s
    FROM downtime_events
    WHERE category = %(breakdown)s AND machine_id = ANY(%(machines)s)
      AND shift_start >= %(since)s AND shift_start < %(until)s
    GROUP BY machine_id
)
SELECT wanted.machine_id, coalesce(f.failures, 0), coalesce(r.running_s, 0),
       coalesce(f.repair_s, 0)
FROM unnest(%(machines)s::text[]) WITH ORDINALITY AS wanted (machine_id, position)
LEFT JOIN running AS r USING (machine_id)
LEFT JOIN failures AS f USING (machine_id)
WHERE {scope_filter("machine", "wanted.machine_id")}
ORDER BY wanted.position
"""


async def machine_reliability(
    conn: Connection,
    *,
    machine_ids: Sequence[str],
    since: datetime,
    until: datetime,
    scope: CustomerScope,
) -> list[ReliabilityFigures]:
    """MTBF and MTTR of each machine over ``[since, until)``, in the order asked for;
    a machine without data has zero running time and no failures, a machine outside
    the scope no figures at all."""
    cursor = await conn.execute(
        _RELIABILITY,
        {
            "scope": str(OeeScope.MACHINE),
            "machines": list(machine_ids),
            "since": since,
            "until": until,
            "breakdown": str(DowntimeCategory.BREAKDOWN),
            **scope.params,
        },
    )
    return [
        ReliabilityFigures.of(
            machine_id, failures=int(failures), running_s=running_s, repair_s=repair_s
        )
        for machine_id, failures, running_s, repair_s in await cursor.fetchall()
    ]
