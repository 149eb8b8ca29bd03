"""Machine liveness: collectors record when data arrives and why it stopped, the API reads
who is online."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from models.machine_status import MachineStatus, OfflineReason
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

# A machine seen again after being offline: online from its first sample since.
_BACK_ONLINE = """
UPDATE machine_status AS s SET online = true, since = seen.first, reason = NULL, detail = NULL
FROM unnest(%(machines)s::text[], %(first)s::timestamptz[]) AS seen (machine_id, first)
WHERE s.machine_id = seen.machine_id AND NOT s.online
RETURNING s.machine_id
"""

_SEEN = """
INSERT INTO machine_status AS s (machine_id, online, since, last_seen)
SELECT machine_id, true, first, last
FROM unnest(%(machines)s::text[], %(first)s::timestamptz[], %(last)s::timestamptz[])
    AS seen (machine_id, first, last)
ON CONFLICT (machine_id) DO UPDATE SET last_seen = GREATEST(s.last_seen, EXCLUDED.last_seen)
"""

# Online, but no collector has seen it since `silent_since`.
_GONE_SILENT = """
UPDATE machine_status SET online = false, since = %(now)s, reason = 'silent', detail = %(detail)s
WHERE machine_id = ANY(%(machines)s) AND online
  AND (last_seen IS NULL OR last_seen < %(silent_since)s)
RETURNING machine_id
"""

# Never seen at all since the table knew it.
_NEVER_SEEN = """
INSERT INTO machine_status (machine_id, online, since, last_seen, reason, detail)
SELECT machine_id, false, %(now)s, NULL, 'silent', %(detail)s
FROM unnest(%(machines)s::text[]) AS m (machine_id)
ON CONFLICT (machine_id) DO NOTHING
RETURNING machine_id
"""

# A source reported the machine gone (session lost, refused, Sparkplug death): offline
# from then on, or, already offline, with the newer reason; `since` stays the first loss.
_DOWN = """
INSERT INTO machine_status AS s (machine_id, online, since, last_seen, reason, detail)
SELECT machine_id, false, at, NULL, reason, detail
FROM unnest(%(machines)s::text[], %(at)s::timestamptz[], %(reasons)s::text[], %(details)s::text[])
    AS down (machine_id, at, reason, detail)
ON CONFLICT (machine_id) DO UPDATE SET
    online = false,
    since = CASE WHEN s.online THEN EXCLUDED.since ELSE s.since END,
    reason = EXCLUDED.reason,
    detail = EXCLUDED.detail
WHERE s.online OR s.reason IS DISTINCT FROM EXCLUDED.reason
    OR s.detail IS DISTINCT FROM EXCLUDED.detail
RETURNING s.machine_id
"""

_LIST = f"""
SELECT machine_id, online, since, last_seen, reason, detail FROM machine_status
WHERE machine_id = ANY(%(machines)s) AND {scope_filter("machine", "machine_id")}
ORDER BY machine_id
"""


@dataclass(frozen=True, slots=True)
class MachineDown:
    """A source's word that a machine's data stopped: when, and why."""

    machine_id: str
    at: datetime
    reason: OfflineReason
    detail: str


async def record_seen(
    conn: Connection, *, seen: Mapping[str, tuple[datetime, datetime]]
) -> list[str]:
    """Machines whose samples arrived, with the first and last arrival time since the
    previous call; returns those that were offline and are online again."""
    if not seen:
        return []
    machines = sorted(seen)
    params = {
        "machines": machines,
        "first": [seen[m][0] for m in machines],
        "last": [seen[m][1] for m in machines],
    }
    async with conn.transaction():
        cursor = await conn.execute(_BACK_ONLINE, params)
        back = [row[0] for row in await cursor.fetchall()]
        await conn.execute(_SEEN, params)
    return back


async def mark_offline(
    conn: Connection, *, machine_ids: Sequence[str], silent_since: datetime, now: datetime
) -> list[str]:
    """Mark offline every given machine no sample arrived from since ``silent_since``;
    returns the machines that went offline now."""
    params = {
        "machines": sorted(machine_ids),
        "silent_since": silent_since,
        "now": now,
        "detail": f"no data for {(now - silent_since).total_seconds():.0f} s",
    }
    async with conn.transaction():
        cursor = await conn.execute(_GONE_SILENT, params)
        gone = [row[0] for row in await cursor.fetchall()]
        cursor = await conn.execute(_NEVER_SEEN, params)
        gone += [row[0] for row in await cursor.fetchall()]
    return sorted(gone)


async def record_down(conn: Connection, *, downs: Sequence[MachineDown]) -> list[str]:
    """Mark machines offline with the reason their source gave; one entry per machine
    (the last wins). Returns the machines whose status changed."""
    latest = {down.machine_id: down for down in downs}
    if not latest:
        return []
    machines = sorted(latest)
    params = {
        "machines": machines,
        "at": [latest[m].at for m in machines],
        "reasons": [str(latest[m].reason) for m in machines],
        "details": [latest[m].detail for m in machines],
    }
    cursor = await conn.execute(_DOWN, params)
    return sorted(row[0] for row in await cursor.fetchall())


async def list_machine_status(
    conn: Connection, *, machine_ids: Sequence[str], scope: CustomerScope
) -> list[MachineStatus]:
    """The recorded status of the given machines of the scope; machines never recorded
    (or outside the scope) are left out."""
    cursor = await conn.execute(_LIST, {"machines": list(machine_ids), **scope.params})
    return [
        MachineStatus(
            machine_id,
            online,
            since,
            last_seen,
            OfflineReason(reason) if reason is not None else None,
            detail,
        )
        for machine_id, online, since, last_seen, reason, detail in await cursor.fetchall()
    ]
