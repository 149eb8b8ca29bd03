"""PLC alarm and fault-code events: written by the OPC UA collector, read by the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psycopg.types.json import Jsonb

from models.plc_events import PlcEvent
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_INSERT = """
INSERT INTO plc_events
    (time, machine_id, source_node, event_type, severity, fault_code, message, event_id, raw)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (machine_id, event_id) DO NOTHING
"""

_LIST = f"""
SELECT time, machine_id, source_node, event_type, severity, fault_code, message, event_id, raw
FROM plc_events
WHERE machine_id = ANY(%(machine_ids)s) AND time >= %(since)s AND time < %(until)s
  AND {scope_filter("machine", "machine_id")}
ORDER BY time DESC, id DESC
LIMIT %(limit)s
"""


async def write_plc_events(conn: Connection, *, events: Sequence[PlcEvent]) -> None:
    """Store events in one transaction; an event already stored is skipped."""
    if not events:
        return
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            _INSERT,
            [
                (
                    e.time,
                    e.machine_id,
                    e.source_node,
                    e.event_type,
                    e.severity,
                    e.fault_code,
                    e.message,
                    e.event_id,
                    Jsonb(dict(e.raw)),
                )
                for e in events
            ],
        )


async def list_plc_events(
    conn: Connection,
    *,
    machine_ids: Sequence[str],
    since: datetime,
    until: datetime,
    scope: CustomerScope,
    limit: int = 100,
) -> list[PlcEvent]:
    """Events of those of ``machine_ids`` within the scope in [since, until), newest first,
    at most ``limit``."""
    cursor = await conn.execute(
        _LIST,
        {
            "machine_ids": list(machine_ids),
            "since": since,
            "until": until,
            "limit": limit,
            **scope.params,
        },
    )
    return [
        PlcEvent(
            time=row[0],
            machine_id=row[1],
            source_node=row[2],
            event_type=row[3],
            severity=row[4],
            fault_code=row[5],
            message=row[6],
            event_id=bytes(row[7]),
            raw={str(k): str(v) for k, v in row[8].items()},
        )
        for row in await cursor.fetchall()
    ]
