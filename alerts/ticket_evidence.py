"""Freezing a warning's evidence on its ticket: what is read, and how it is condensed.

When the alert job opens a ticket for a warning, or a warning joins an open
ticket, the evidence is captured right after that transaction, in one of its
own: a failure here is logged and costs the snapshot, never the ticket.
The pure functions below decide the trend window and bucket width, turn the
anomaly scores into each signal's share, and pick the shifts that show the OEE
impact; ``capture_evidence`` reads what they need through the storage layer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.alerts import Alert
from models.anomaly import AnomalyScore
from models.condition_forecast import HealthForecast
from models.oee import DowntimeEvent, OeeResult, OeeScope
from models.plant import Plant, SignalKind
from models.plc_events import PlcEvent
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
from storage import (
    alert_store,
    anomaly_store,
    downtime_store,
    forecast_store,
    oee_store,
    plc_event_store,
    ticket_evidence_store,
)
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    """How much is frozen: enough for a small chart and a first diagnosis, not an archive."""

    # The trends cover this much before the warning was raised ...
    lookback: timedelta = timedelta(hours=6)
    # ... and reach back to this much before its evidence began, within max_lookback.
    lead_in: timedelta = timedelta(minutes=30)
    max_lookback: timedelta = timedelta(hours=24)
    max_points: int = 200
    # Scores read for the contributions; a warning without scores of its own (a
    # forecast) takes the latest ``fallback_scores`` of them.
    score_history: int = 500
    fallback_scores: int = 30
    # PLC alarms and stops this long before the warning, the latest of them.
    events_lookback: timedelta = timedelta(hours=24)
    max_events: int = 20
    # The OEE of the current and previous shift is compared with this many days before.
    normal_days: int = 7


def trend_window(
    raised_at: datetime, evidence_began: datetime, settings: EvidenceSettings
) -> datetime:
    """Where the trends start: ``lookback`` before the warning, earlier if its evidence
    began before that, but never more than ``max_lookback`` before it."""
    start = min(raised_at - settings.lookback, evidence_began - settings.lead_in)
    return max(start, raised_at - settings.max_lookback)


def bucket_width(since: datetime, until: datetime, max_points: int) -> timedelta:
    """The narrowest whole-second bucket that keeps ``[since, until]`` within ``max_points``
    (both ends included, so the range is cut into one bucket fewer)."""
    seconds = math.ceil((until - since).total_seconds() / max(1, max_points - 1))
    return timedelta(seconds=max(1, seconds))


def contributions(
    scores: Sequence[AnomalyScore], *, since: datetime, fallback: int
) -> AnomalyContributions | None:
    """Each signal's share of the anomaly over the scores from ``since`` on (else the
    latest ``fallback``): its mean contribution over the mean score, largest first."""
    chosen = [s for s in scores if s.time >= since] or list(scores[-fallback:])
    if not chosen:
        return None
    count = len(chosen)
    mean_score = sum(s.score for s in chosen) / count
    totals: dict[str, list[float]] = {}
    for score in chosen:
        for part in score.contributions:
            sums = totals.setdefault(part.signal, [0.0, 0.0])
            sums[0] += part.contribution
            sums[1] += part.deviation
    shares = [
        SignalShare(
            signal=signal,
            share=(contribution / count) / mean_score if mean_score > 0 else 0.0,
            deviation=deviation / count,
        )
        for signal, (contribution, deviation) in totals.items()
    ]
    return AnomalyContributions(
        observations=count,
        since=chosen[0].time,
        until=chosen[-1].time,
        mean_score=mean_score,
        peak_score=max(s.score for s in chosen),
        shares=tuple(sorted(shares, key=lambda s: -s.share)),
    )


def outlook(forecast: HealthForecast | None) -> ConditionOutlook | None:
    """The forecast's signals, soonest at their limit first (those not heading there last)."""
    if forecast is None:
        return None
    signals = sorted(
        forecast.signals,
        key=lambda s: math.inf if s.hours_to_limit is None else s.hours_to_limit,
    )
    return ConditionOutlook(
        computed_at=forecast.computed_at,
        health_index=forecast.health_index,
        signals=tuple(
            SignalOutlook(
                signal=s.signal,
                unit=s.unit,
                level=s.level,
                limit=s.limit,
                hours_to_limit=s.hours_to_limit,
                hours_low=s.hours_low,
                hours_high=s.hours_high,
            )
            for s in signals
        ),
    )


def oee_impact(
    scope: OeeScope,
    subject_id: str,
    shifts: Sequence[OeeResult],
    normal: OeeResult | None,
    *,
    now: datetime,
    normal_days: int,
) -> OeeImpact:
    """The current shift (the latest begun by ``now``) and the one before, with the normal."""
    begun = _begun(shifts, now)
    current = begun[-1] if begun else None
    previous = begun[-2] if len(begun) > 1 else None
    return OeeImpact(
        scope=scope,
        subject_id=subject_id,
        current=_figure(current, current.shift_name) if current else None,
        previous=_figure(previous, previous.shift_name) if previous else None,
        normal=_figure(normal, f"{normal_days} days before") if normal else None,
        normal_days=normal_days,
    )


def normal_until(shifts: Sequence[OeeResult], *, now: datetime) -> datetime:
    """Where the recent normal ends: at the previous shift, so that neither it nor the
    current one (both possibly hit by the fault) counts as normal."""
    begun = _begun(shifts, now)
    if not begun:
        return now
    return begun[-2].shift_start if len(begun) > 1 else begun[-1].shift_start


def _begun(shifts: Sequence[OeeResult], now: datetime) -> list[OeeResult]:
    return sorted((s for s in shifts if s.shift_start <= now), key=lambda s: s.shift_start)


def _figure(result: OeeResult, name: str) -> OeeFigure:
    return OeeFigure(
        name=name,
        start=result.shift_start,
        end=result.shift_end,
        oee=result.oee,
        availability=result.availability,
        performance=result.performance,
        quality=result.quality,
    )


def alarms(events: Sequence[PlcEvent]) -> tuple[PlcAlarm, ...]:
    """PLC events as evidence, newest first (as the store lists them)."""
    return tuple(PlcAlarm(e.time, e.severity, e.fault_code, e.message) for e in events)


def stops(downtimes: Sequence[DowntimeEvent], limit: int) -> tuple[MachineStopEvidence, ...]:
    """The latest ``limit`` stops, newest first."""
    latest = sorted(downtimes, key=lambda d: d.start, reverse=True)[:limit]
    return tuple(
        MachineStopEvidence(d.start, d.end, d.category, d.fault_code, d.reason, d.seconds)
        for d in latest
    )


async def capture_evidence(
    conn: Connection,
    plant: Plant,
    *,
    alert: Alert,
    ticket_id: int,
    now: datetime,
    settings: EvidenceSettings,
) -> TicketEvidence:
    """Read everything the warning's evidence holds, as of ``now`` (plant time)."""
    placement = plant.placement_of(alert.machine_id)
    machine = placement.machine
    units = {s.name: s.unit for s in machine.signals}
    since = trend_window(now, alert.opened_at, settings)
    width = bucket_width(since, now, settings.max_points)
    # The warning's own signals first, then the machine's other condition signals.
    condition = machine.signals_of(SignalKind.CONDITION)
    charted = [*alert.signals, *(s for s in condition if s not in alert.signals)]
    trends = await ticket_evidence_store.bucketed_trends(
        conn, machine_id=machine.id, signals=charted, since=since, until=now, width=width
    )
    scores = await anomaly_store.recent_scores(
        conn, machine_id=machine.id, until=now, limit=settings.score_history
    )
    forecasts = await forecast_store.latest_forecasts(
        conn, machine_ids=[machine.id], scope=EVERY_CUSTOMER
    )
    events_since = now - settings.events_lookback
    plc_events = await plc_event_store.list_plc_events(
        conn,
        machine_ids=[machine.id],
        since=events_since,
        until=now,
        limit=settings.max_events,
        scope=EVERY_CUSTOMER,
    )
    downtimes = await downtime_store.list_downtimes(
        conn, machine_ids=[machine.id], since=events_since, until=now, scope=EVERY_CUSTOMER
    )
    impacts = [
        await _oee_impact(conn, OeeScope.MACHINE, machine.id, now, settings),
        await _oee_impact(conn, OeeScope.LINE, placement.line.id, now, settings),
    ]
    return TicketEvidence(
        ticket_id=ticket_id,
        alert_id=alert.id,
        machine_id=machine.id,
        line_id=placement.line.id,
        rule=alert.rule,
        severity=alert.severity,
        alert_opened_at=alert.opened_at,
        peak_score=alert.peak_score,
        signals=alert.signals,
        captured_at=now,
        window_start=since,
        trends=tuple(
            SignalTrend(s, units.get(s, ""), width.total_seconds(), trends[s])
            for s in charted
            if s in trends
        ),
        contributions=contributions(
            scores, since=alert.opened_at, fallback=settings.fallback_scores
        ),
        outlook=outlook(forecasts.get(machine.id)),
        alarms=alarms(plc_events),
        stops=stops(downtimes, settings.max_events),
        oee=tuple(impacts),
    )


async def _oee_impact(
    conn: Connection, scope: OeeScope, subject_id: str, now: datetime, settings: EvidenceSettings
) -> OeeImpact:
    # Two days reach back past a weekend's night shift to the shift before the current one.
    shifts = await oee_store.list_oee(
        conn,
        scope=scope,
        subject_ids=[subject_id],
        since=now - timedelta(days=2),
        until=now,
        customer_scope=EVERY_CUSTOMER,
    )
    until = normal_until(shifts, now=now)
    normal = await oee_store.oee_for_range(
        conn,
        scope=scope,
        subject_ids=[subject_id],
        since=until - timedelta(days=settings.normal_days),
        until=until,
        customer_scope=EVERY_CUSTOMER,
    )
    return oee_impact(
        scope,
        subject_id,
        shifts,
        normal[0] if normal else None,
        now=now,
        normal_days=settings.normal_days,
    )


async def freeze_evidence(
    conn: Connection,
    plant: Plant,
    *,
    alert_ids: Collection[int],
    now: datetime,
    settings: EvidenceSettings | None = None,
) -> int:
    """Capture and store the evidence of each newly opened alert that has a ticket, each
    in a transaction of its own; returns how many snapshots were stored.

    Call it after the transaction that opened the alerts has committed: a failure
    is logged and skipped, and the ticket stands without its snapshot.
    """
    chosen = settings or EvidenceSettings()
    frozen = 0
    for alert_id in alert_ids:
        try:
            async with conn.transaction():
                alert = await alert_store.lock_alert(conn, alert_id=alert_id)
                if alert is None or alert.ticket_id is None:
                    continue
                evidence = await capture_evidence(
                    conn, plant, alert=alert, ticket_id=alert.ticket_id, now=now, settings=chosen
                )
                frozen += await ticket_evidence_store.save_evidence(conn, evidence=evidence)
        except Exception:
            # Evidence is an aid to the ticket, never a condition of it.
            log.exception("evidence of alert #%d could not be frozen on its ticket", alert_id)
    return frozen
