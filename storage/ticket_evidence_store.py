"""Evidence frozen on tickets: bucketed signal trends to freeze, and the snapshots themselves.

A snapshot is stored as JSON (``snapshot``) with its ``schema_version``, once per
ticket and warning; a second capture of the same warning keeps the first. Times
are ISO 8601 strings with their offset, numbers are JSON numbers; a value that
is not finite (a forecast's unbounded interval) is stored as null.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from models.oee import OeeScope
from models.plant import Severity
from models.readings import TrendPoint
from models.ticket_evidence import (
    AnomalyContributions,
    ConditionOutlook,
    MachineStopEvidence,
    OeeFigure,
    OeeImpact,
    PlcAlarm,
    SignalOutlook,
    SignalShare,
    SignalTrend,
    TicketEvidence,
)
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_TRENDS = """
SELECT signal, time_bucket(%(width)s::interval, time, %(origin)s::timestamptz) AS bucket,
       avg(value), min(value), max(value), count(*)
FROM telemetry
WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
  AND time >= %(since)s AND time <= %(until)s
GROUP BY signal, bucket
ORDER BY signal, bucket
"""

_INSERT = """
INSERT INTO ticket_evidence (ticket_id, alert_id, captured_at, schema_version, snapshot)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (ticket_id, alert_id) DO NOTHING
"""

_OF_TICKET = f"""
SELECT snapshot FROM ticket_evidence
WHERE ticket_id = %(ticket)s AND {scope_filter("ticket", "ticket_id")}
ORDER BY captured_at, id
"""


async def bucketed_trends(
    conn: Connection,
    *,
    machine_id: str,
    signals: Sequence[str],
    since: datetime,
    until: datetime,
    width: timedelta,
) -> dict[str, tuple[TrendPoint, ...]]:
    """Average, minimum, maximum and count of each signal per ``width`` bucket in
    ``[since, until]``, buckets aligned on ``since``, oldest first; silent signals absent."""
    cursor = await conn.execute(
        _TRENDS,
        {
            "width": width,
            "origin": since,
            "machine": machine_id,
            "signals": list(signals),
            "since": since,
            "until": until,
        },
    )
    trends: dict[str, list[TrendPoint]] = {}
    for signal, bucket, avg, low, high, samples in await cursor.fetchall():
        trends.setdefault(signal, []).append(TrendPoint(bucket, avg, low, high, int(samples)))
    return {signal: tuple(points) for signal, points in trends.items()}


async def save_evidence(conn: Connection, *, evidence: TicketEvidence) -> bool:
    """Freeze ``evidence`` on its ticket; False when this warning's evidence is there already."""
    cursor = await conn.execute(
        _INSERT,
        (
            evidence.ticket_id,
            evidence.alert_id,
            evidence.captured_at,
            evidence.schema_version,
            Jsonb(evidence_json(evidence)),
        ),
    )
    return cursor.rowcount == 1


async def evidence_of(
    conn: Connection, *, ticket_id: int, scope: CustomerScope
) -> list[TicketEvidence]:
    """The ticket's snapshots, oldest first (the opening warning's, then those that joined);
    none for a ticket outside the scope."""
    cursor = await conn.execute(_OF_TICKET, {"ticket": ticket_id, **scope.params})
    return [evidence_from_json(row[0]) for row in await cursor.fetchall()]


def evidence_json(evidence: TicketEvidence) -> dict[str, Any]:
    """The snapshot as stored: plain JSON, in the shape of ``schema_version``."""
    contributions = evidence.contributions
    outlook = evidence.outlook
    return {
        "schema_version": evidence.schema_version,
        "ticket_id": evidence.ticket_id,
        "alert_id": evidence.alert_id,
        "machine_id": evidence.machine_id,
        "line_id": evidence.line_id,
        "rule": evidence.rule,
        "severity": evidence.severity.value,
        "alert_opened_at": _time(evidence.alert_opened_at),
        "peak_score": evidence.peak_score,
        "signals": list(evidence.signals),
        "captured_at": _time(evidence.captured_at),
        "window_start": _time(evidence.window_start),
        "trends": [
            {
                "signal": t.signal,
                "unit": t.unit,
                "bucket_s": t.bucket_s,
                "points": [
                    [
                        _time(p.time),
                        _number(p.value),
                        _number(p.min_value),
                        _number(p.max_value),
                        p.samples,
                    ]
                    for p in t.points
                ],
            }
            for t in evidence.trends
        ],
        "contributions": None
        if contributions is None
        else {
            "observations": contributions.observations,
            "since": _time(contributions.since),
            "until": _time(contributions.until),
            "mean_score": contributions.mean_score,
            "peak_score": contributions.peak_score,
            "shares": [
                {"signal": s.signal, "share": s.share, "deviation": s.deviation}
                for s in contributions.shares
            ],
        },
        "outlook": None
        if outlook is None
        else {
            "computed_at": _time(outlook.computed_at),
            "health_index": outlook.health_index,
            "signals": [
                {
                    "signal": s.signal,
                    "unit": s.unit,
                    "level": s.level,
                    "limit": s.limit,
                    "hours_to_limit": _number(s.hours_to_limit),
                    "hours_low": _number(s.hours_low),
                    "hours_high": _number(s.hours_high),
                }
                for s in outlook.signals
            ],
        },
        "alarms": [
            {
                "time": _time(a.time),
                "severity": a.severity,
                "fault_code": a.fault_code,
                "message": a.message,
            }
            for a in evidence.alarms
        ],
        "stops": [
            {
                "start": _time(s.start),
                "end": _time(s.end),
                "category": s.category,
                "fault_code": s.fault_code,
                "reason": s.reason,
                "lost_s": s.lost_s,
            }
            for s in evidence.stops
        ],
        "oee": [_impact_json(i) for i in evidence.oee],
    }


def evidence_from_json(raw: Mapping[str, Any]) -> TicketEvidence:
    """A stored snapshot back as the model (schema version 1 is the only one so far)."""
    contributions = raw["contributions"]
    outlook = raw["outlook"]
    return TicketEvidence(
        ticket_id=raw["ticket_id"],
        alert_id=raw["alert_id"],
        machine_id=raw["machine_id"],
        line_id=raw["line_id"],
        rule=raw["rule"],
        severity=Severity(raw["severity"]),
        alert_opened_at=_parse(raw["alert_opened_at"]),
        peak_score=raw["peak_score"],
        signals=tuple(raw["signals"]),
        captured_at=_parse(raw["captured_at"]),
        window_start=_parse(raw["window_start"]),
        trends=tuple(
            SignalTrend(
                signal=t["signal"],
                unit=t["unit"],
                bucket_s=t["bucket_s"],
                points=tuple(
                    TrendPoint(_parse(p[0]), _float(p[1]), _float(p[2]), _float(p[3]), p[4])
                    for p in t["points"]
                ),
            )
            for t in raw["trends"]
        ),
        contributions=None
        if contributions is None
        else AnomalyContributions(
            observations=contributions["observations"],
            since=_parse(contributions["since"]),
            until=_parse(contributions["until"]),
            mean_score=contributions["mean_score"],
            peak_score=contributions["peak_score"],
            shares=tuple(
                SignalShare(s["signal"], s["share"], s["deviation"])
                for s in contributions["shares"]
            ),
        ),
        outlook=None
        if outlook is None
        else ConditionOutlook(
            computed_at=_parse(outlook["computed_at"]),
            health_index=outlook["health_index"],
            signals=tuple(
                SignalOutlook(
                    signal=s["signal"],
                    unit=s["unit"],
                    level=s["level"],
                    limit=s["limit"],
                    hours_to_limit=s["hours_to_limit"],
                    hours_low=s["hours_low"],
                    hours_high=s["hours_high"],
                )
                for s in outlook["signals"]
            ),
        ),
        alarms=tuple(
            PlcAlarm(_parse(a["time"]), a["severity"], a["fault_code"], a["message"])
            for a in raw["alarms"]
        ),
        stops=tuple(
            MachineStopEvidence(
                start=_parse(s["start"]),
                end=_parse(s["end"]),
                category=s["category"],
                fault_code=s["fault_code"],
                reason=s["reason"],
                lost_s=s["lost_s"],
            )
            for s in raw["stops"]
        ),
        oee=tuple(_impact(i) for i in raw["oee"]),
        schema_version=raw["schema_version"],
    )


def _impact_json(impact: OeeImpact) -> dict[str, Any]:
    return {
        "scope": impact.scope.value,
        "subject_id": impact.subject_id,
        "current": _figure_json(impact.current),
        "previous": _figure_json(impact.previous),
        "normal": _figure_json(impact.normal),
        "normal_days": impact.normal_days,
    }


def _figure_json(figure: OeeFigure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {
        "name": figure.name,
        "start": _time(figure.start),
        "end": _time(figure.end),
        "oee": figure.oee,
        "availability": figure.availability,
        "performance": figure.performance,
        "quality": figure.quality,
    }


def _impact(raw: Mapping[str, Any]) -> OeeImpact:
    return OeeImpact(
        scope=OeeScope(raw["scope"]),
        subject_id=raw["subject_id"],
        current=_figure(raw["current"]),
        previous=_figure(raw["previous"]),
        normal=_figure(raw["normal"]),
        normal_days=raw["normal_days"],
    )


def _figure(raw: Mapping[str, Any] | None) -> OeeFigure | None:
    if raw is None:
        return None
    return OeeFigure(
        name=raw["name"],
        start=_parse(raw["start"]),
        end=_parse(raw["end"]),
        oee=raw["oee"],
        availability=raw["availability"],
        performance=raw["performance"],
        quality=raw["quality"],
    )


def _time(value: datetime) -> str:
    return value.isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _float(value: float | None) -> float:
    return float("nan") if value is None else float(value)
