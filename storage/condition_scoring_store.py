"""Where each machine's condition scoring stands: model, progress, scorer state.

``scored_until``: every observation ending at or before it has been looked at.
Late data moves it back (``rewind_scoring``); the analytics cycle moves it on in
the transaction that stores the scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from models.condition_model import LearningProgress
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_UPSERT_PROGRESS = """
INSERT INTO condition_scoring AS s
    (machine_id, model_id, scored_until, state, note, updated_at)
VALUES (%(machine)s, %(model)s, %(scored_until)s, %(state)s, %(note)s, now())
ON CONFLICT (machine_id) DO UPDATE SET
    model_id = EXCLUDED.model_id, scored_until = EXCLUDED.scored_until,
    state = EXCLUDED.state, note = EXCLUDED.note, updated_at = now()
"""

_UPSERT_LEARNING = """
INSERT INTO condition_scoring AS s
    (machine_id, observations_seen, observations_needed, running_seconds_seen,
     running_seconds_needed, note, updated_at)
VALUES (%(machine)s, %(seen)s, %(needed)s, %(running_seen)s, %(running_needed)s, %(note)s, now())
ON CONFLICT (machine_id) DO UPDATE SET
    observations_seen = EXCLUDED.observations_seen,
    observations_needed = EXCLUDED.observations_needed,
    running_seconds_seen = EXCLUDED.running_seconds_seen,
    running_seconds_needed = EXCLUDED.running_seconds_needed,
    note = EXCLUDED.note, updated_at = now()
"""

_SELECT = f"""
SELECT machine_id, model_id, scored_until, state, observations_seen, observations_needed,
       running_seconds_seen, running_seconds_needed, note
FROM condition_scoring
WHERE machine_id = ANY(%(machines)s) AND {scope_filter("machine", "machine_id")}
"""

# Rows are locked in machine order, the order the writer marks them in, so a
# batch being written and the take never wait on each other in a circle.
_TAKE_LATE_DATA = """
DELETE FROM anomaly_pending_analysis
WHERE machine_id IN (
    SELECT machine_id FROM anomaly_pending_analysis
    WHERE machine_id = ANY(%s) ORDER BY machine_id FOR UPDATE
)
RETURNING machine_id, since
"""


@dataclass(frozen=True, slots=True)
class ScoringPosition:
    """A machine's row: the model it scores with and how far, or its learning progress."""

    machine_id: str
    model_id: int | None
    scored_until: datetime | None
    state: dict[str, Any] | None
    progress: LearningProgress
    note: str


async def positions(
    conn: Connection, *, machine_ids: Sequence[str], scope: CustomerScope
) -> dict[str, ScoringPosition]:
    """Where scoring stands for each of the scope's machines; machines not started are absent."""
    cursor = await conn.execute(_SELECT, {"machines": list(machine_ids), **scope.params})
    result: dict[str, ScoringPosition] = {}
    for row in await cursor.fetchall():
        machine, model_id, until, state, seen, needed, run_seen, run_needed, note = row
        progress = LearningProgress(machine, seen, needed, run_seen, run_needed)
        result[machine] = ScoringPosition(machine, model_id, until, state, progress, note)
    return result


async def save_position(
    conn: Connection,
    *,
    machine_id: str,
    model_id: int,
    scored_until: datetime,
    state: dict[str, Any],
    note: str,
) -> None:
    await conn.execute(
        _UPSERT_PROGRESS,
        {
            "machine": machine_id,
            "model": model_id,
            "scored_until": scored_until,
            "state": Jsonb(state),
            "note": note,
        },
    )


async def save_learning(conn: Connection, *, progress: LearningProgress, note: str) -> None:
    await conn.execute(
        _UPSERT_LEARNING,
        {
            "machine": progress.machine_id,
            "seen": progress.observations_seen,
            "needed": progress.observations_needed,
            "running_seen": progress.running_seconds_seen,
            "running_needed": progress.running_seconds_needed,
            "note": note,
        },
    )


async def take_late_data(conn: Connection, *, machine_ids: Sequence[str]) -> dict[str, datetime]:
    """Take and clear the late-data marks of these machines: machine id -> oldest
    sample written since the last take. Call it in the transaction that rewinds."""
    cursor = await conn.execute(_TAKE_LATE_DATA, (list(machine_ids),))
    return {machine_id: since for machine_id, since in await cursor.fetchall()}


async def rewind_scoring(conn: Connection, *, machine_id: str, scored_until: datetime) -> None:
    """Have the observations from ``scored_until`` on scored again; never skips ahead."""
    await conn.execute(
        "UPDATE condition_scoring SET scored_until = LEAST(scored_until, %s)"
        " WHERE machine_id = %s AND scored_until IS NOT NULL",
        (scored_until, machine_id),
    )
