"""Anomaly scores, the baselines they are measured against, and late-data marks.

Contributions are stored as a JSON array in the order they were ranked
(largest deviation first): ``[{"signal": "vibration_rms", "deviation": 4.2}]``.

Late data reaches anomaly scoring through ``anomaly_pending_analysis``, the
database's copy of the telemetry writer's marks (migration 012), so that the
OEE refresh taking its own marks never takes these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from analytics.anomaly_baseline import MachineBaseline, SignalBaseline
from models.anomaly import AnomalyScore, SignalContribution
from storage.connections import Connection

_INSERT_SCORE = """
INSERT INTO anomaly_scores (time, machine_id, score, contributions)
VALUES (%s, %s, %s, %s)
ON CONFLICT (machine_id, time) DO UPDATE SET
    score = EXCLUDED.score, contributions = EXCLUDED.contributions
"""

# Scores are timed at their window's end: the windows in [since, until) end in (since, until].
_CLEAR_SCORES = """
DELETE FROM anomaly_scores WHERE machine_id = %s AND time > %s AND time <= %s
"""

# Rows are locked in machine order, the order the writer marks them in, so a
# batch being written and the take never wait on each other in a circle.
_TAKE_LATE_DATA = """
DELETE FROM anomaly_pending_analysis
WHERE machine_id IN (
    SELECT machine_id FROM anomaly_pending_analysis ORDER BY machine_id FOR UPDATE
)
RETURNING machine_id, since
"""

_HISTORY = """
SELECT time, machine_id, score, contributions FROM anomaly_scores
WHERE machine_id = %s AND time >= %s AND time < %s
ORDER BY time
"""

# One index probe per machine instead of sorting every machine's history.
_LATEST = """
SELECT latest.time, latest.machine_id, latest.score, latest.contributions
FROM unnest(%s::text[]) AS wanted (machine_id)
CROSS JOIN LATERAL (
    SELECT time, machine_id, score, contributions FROM anomaly_scores
    WHERE machine_id = wanted.machine_id
    ORDER BY time DESC LIMIT 1
) AS latest
"""

_UPSERT_BASELINE = """
INSERT INTO anomaly_baselines (machine_id, trained_from, trained_until, scored_until)
VALUES (%s, %s, %s, %s)
ON CONFLICT (machine_id) DO UPDATE SET
    trained_from = EXCLUDED.trained_from, trained_until = EXCLUDED.trained_until,
    scored_until = EXCLUDED.scored_until, fitted_at = now()
"""

_BASELINE_SIGNAL = """
INSERT INTO anomaly_baseline_signals (machine_id, signal, center, scale, samples)
VALUES (%s, %s, %s, %s, %s)
"""

_BASELINES = """
SELECT b.machine_id, b.trained_from, b.trained_until, b.scored_until,
       s.signal, s.center, s.scale, s.samples
FROM anomaly_baselines AS b
JOIN anomaly_baseline_signals AS s USING (machine_id)
WHERE b.machine_id = ANY(%s)
ORDER BY b.machine_id, s.signal
"""


@dataclass(frozen=True, slots=True)
class StoredBaseline:
    """A machine's baseline and how far scoring has got: every window ending at
    or before ``scored_until`` has been looked at."""

    baseline: MachineBaseline
    scored_until: datetime


def _contributions_json(score: AnomalyScore) -> Jsonb:
    return Jsonb([{"signal": c.signal, "deviation": c.deviation} for c in score.contributions])


def _score(row: tuple[Any, ...]) -> AnomalyScore:
    time, machine_id, value, contributions = row
    return AnomalyScore(
        time=time,
        machine_id=machine_id,
        score=value,
        contributions=tuple(
            SignalContribution(c["signal"], float(c["deviation"])) for c in contributions
        ),
    )


async def insert_scores(conn: Connection, *, scores: Sequence[AnomalyScore]) -> None:
    """Store scores; a window scored again replaces its earlier score."""
    if not scores:
        return
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            _INSERT_SCORE,
            [(s.time, s.machine_id, s.score, _contributions_json(s)) for s in scores],
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
    conn: Connection, *, machine_id: str, since: datetime, until: datetime
) -> list[AnomalyScore]:
    """A machine's scores timed in ``[since, until)``, oldest first."""
    cursor = await conn.execute(_HISTORY, (machine_id, since, until))
    return [_score(row) for row in await cursor.fetchall()]


async def latest_scores(conn: Connection, *, machine_ids: Sequence[str]) -> dict[str, AnomalyScore]:
    """The newest score of each machine; machines never scored are absent."""
    cursor = await conn.execute(_LATEST, (list(machine_ids),))
    return {row[1]: _score(row) for row in await cursor.fetchall()}


async def save_baseline(
    conn: Connection, *, baseline: MachineBaseline, scored_until: datetime
) -> None:
    """Store (or replace) a machine's baseline with where scoring starts from."""
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.execute(
            _UPSERT_BASELINE,
            (baseline.machine_id, baseline.trained_from, baseline.trained_until, scored_until),
        )
        await cursor.execute(
            "DELETE FROM anomaly_baseline_signals WHERE machine_id = %s", (baseline.machine_id,)
        )
        await cursor.executemany(
            _BASELINE_SIGNAL,
            [
                (baseline.machine_id, s.signal, s.center, s.scale, s.samples)
                for s in baseline.signals
            ],
        )


async def load_baselines(
    conn: Connection, *, machine_ids: Sequence[str]
) -> dict[str, StoredBaseline]:
    """The stored baseline of each given machine that has one."""
    cursor = await conn.execute(_BASELINES, (list(machine_ids),))
    spans: dict[str, tuple[datetime, datetime, datetime]] = {}
    signals: dict[str, list[SignalBaseline]] = defaultdict(list)
    for machine_id, trained_from, trained_until, scored_until, *stats in await cursor.fetchall():
        spans[machine_id] = (trained_from, trained_until, scored_until)
        signals[machine_id].append(SignalBaseline(*stats))
    return {
        machine_id: StoredBaseline(
            MachineBaseline(machine_id, trained_from, trained_until, tuple(signals[machine_id])),
            scored_until,
        )
        for machine_id, (trained_from, trained_until, scored_until) in spans.items()
    }


async def take_late_data(conn: Connection) -> dict[str, datetime]:
    """Take and clear the late-data marks: machine id -> oldest sample written since
    the last take. Call it in the transaction that rewinds scoring from them."""
    cursor = await conn.execute(_TAKE_LATE_DATA)
    return {machine_id: since for machine_id, since in await cursor.fetchall()}


async def rewind_scoring(conn: Connection, *, machine_id: str, scored_until: datetime) -> None:
    """Have the windows from ``scored_until`` on scored again; never skips ahead."""
    await conn.execute(
        "UPDATE anomaly_baselines SET scored_until = LEAST(scored_until, %s) WHERE machine_id = %s",
        (scored_until, machine_id),
    )


async def advance_scoring(conn: Connection, *, machine_id: str, scored_until: datetime) -> None:
    """Record that every window ending at or before ``scored_until`` has been looked at."""
    await conn.execute(
        "UPDATE anomaly_baselines SET scored_until = %s WHERE machine_id = %s",
        (scored_until, machine_id),
    )
