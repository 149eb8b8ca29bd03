"""What the fleet overview sums up per machine: its open alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.plant import Severity
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter


@dataclass(frozen=True, slots=True)
class OpenAlerts:
    """A machine's open alerts: how many, the worst grade, and since when the oldest."""

    machine_id: str
    count: int
    worst: Severity
    oldest_opened_at: datetime


# Grades sort as DOMAIN.md ranks them, not alphabetically.
_OPEN_ALERTS = f"""
SELECT machine_id, count(*),
       (array_agg(severity ORDER BY array_position(%(grades)s::text[], severity) DESC))[1],
       min(opened_at)
FROM alerts
WHERE status = 'open' AND machine_id = ANY(%(machines)s)
  AND {scope_filter("machine", "machine_id")}
GROUP BY machine_id
"""


async def open_alerts_by_machine(
    conn: Connection, *, machine_ids: Sequence[str], scope: CustomerScope
) -> dict[str, OpenAlerts]:
    """Each given machine's open alerts; machines without any, or outside the scope, are
    left out."""
    cursor = await conn.execute(
        _OPEN_ALERTS,
        {
            "machines": list(machine_ids),
            "grades": [grade.value for grade in Severity],
            **scope.params,
        },
    )
    return {
        machine_id: OpenAlerts(machine_id, int(count), Severity(worst), oldest)
        for machine_id, count, worst, oldest in await cursor.fetchall()
    }
