"""Anomaly scores of machines: store, replace, read.

Contributions are stored as a JSON array in the order they were ranked
(largest share first):
``[{"signal": "vibration_rms", "deviation": 4.2, "contribution": 0.41}]``.
Scores stored before migration 014 have no ``contribution``; they read as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from models.anomaly import AnomalyScore, SignalContribution
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_INSERT_SCORE = """
INSERT INTO anomaly_scores (time, machine_id, score, contributions, model_version)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (machine_id, time) DO UPDATE SET
    score = EXCLUDED.score, contributions = EXCLUDED.contributions,
    model_version = EXCLUDED.model_version
"""

# Scores are timed at their window's end: the windows in [since, until) end in (since, until].
_CLEAR_SCORES = """
DELETE FROM anomaly_scores WHERE machine_id = %s AND time > %s AND time <= %s
"""

_HISTORY = f"""
SELECT time, machine_id, score, contributions, model_version FROM anomaly_scores
WHERE machine_id = %(machine)s AND time >= %(since)s AND time < %(until)s
  AND {scope_filter("machine", "machine_id")}
ORDER BY time
"""

# One index probe per machine instead of sorting every machine's history.
_LATEST = f"""
SELECT latest.time, latest.machine_id, latest.score, latest.contributions,
       latest.model_version
FROM unnest(%(machines)s::text[]) AS wanted (machine_id)
CROSS JOIN LATERAL (
    SELECT time, machine_id, score, contributions, model_version FROM anomaly_scores
    WHERE machine_id = wanted.machine_id
    ORDER BY time DESC LIMIT 1
) AS latest
WHERE {scope_filter("machine", "wanted.machine_id")}
"""

_RECENT = """
SELECT time, machine_id, score, contributions, model_version FROM (
    SELECT time, machine_id, score, contributions, model_version FROM anomaly_scores
    WHERE machine_id = %s AND time <= %s
    ORDER BY time DESC LIMIT %s
) AS latest
ORDER BY time
"""


def _contributions_json(score: AnomalyScore) -> Jsonb:
    return Jsonb(
        [
            {"signal": c.signal, "deviation": c.deviation, "contribution": c.contribution}
            for c in score.contributions
        ]
    )


def _score(row: tuple[Any, ...]) -> AnomalyScore:
    time, machine_id, value, contributions, model_version = row
    return AnomalyScore(
        time=time,
        machine_id=machine_id,
        score=value,
        contributions=tuple(
            SignalContribution(
                c["signal"], float(c["deviation"]), float(c.get("contribution", 0.0))
            )
            for c in contributions
        ),
        model_version=model_version,
    )


async def insert_scores(conn: Connection, *, scores: Sequence[AnomalyScore]) -> None:
    """Store scores; a window scored again replaces its earlier score."""
    if not scores:
        return
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            _INSERT_SCORE,
            [
                (s.time, s.machine_id, s.score, _contributions_json(s), s.model_version)
                for s in scores
            ],
        )


async def replace_scores(
    conn: Connection,
    *,
    machine_id: str,
    since: datetime,
    until: datetime,
    scores: Sequence[AnomalyScore],
) -> None:
    """Make ``scores`` the machine's scores of the windows in ``[since, until)``.

    A window scored before but without enough data now (late data showed the
    machine stopped, say) loses its old score; call it in the transaction that
    advances scoring.
    """
    await conn.execute(_CLEAR_SCORES, (machine_id, since, until))
    await insert_scores(conn, scores=scores)


async def score_history(
    conn: Connection,
    *,
    machine_id: str,
    since: datetime,
    until: datetime,
    scope: CustomerScope,
) -> list[AnomalyScore]:
    """A machine's scores timed in ``[since, until)``, oldest first; none outside the scope."""
    cursor = await conn.execute(
        _HISTORY, {"machine": machine_id, "since": since, "until": until, **scope.params}
    )
    return [_score(row) for row in await cursor.fetchall()]


async def latest_scores(
    conn: Connection, *, machine_ids: Sequence[str], scope: CustomerScope
) -> dict[str, AnomalyScore]:
    """The newest score of each of the scope's machines; machines never scored are absent."""
    cursor = await conn.execute(_LATEST, {"machines": list(machine_ids), **scope.params})
    return {row[1]: _score(row) for row in await cursor.fetchall()}


async def recent_scores(
    conn: Connection, *, machine_id: str, until: datetime, limit: int
) -> list[AnomalyScore]:
    """The machine's latest ``limit`` scores timed at or before ``until``, oldest first."""
    cursor = await conn.execute(_RECENT, (machine_id, until, limit))
    return [_score(row) for row in await cursor.fetchall()]
