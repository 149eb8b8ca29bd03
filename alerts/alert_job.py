"""The alert cycle: recent anomaly scores in, alerts and their service tickets out.

Each machine is handled in its own transaction. A new alert and its ticket are
written in the same transaction, so an alert never exists without its ticket,
and the unique index on open alerts means repeated or concurrent cycles open it
once. Closing an alert leaves its ticket open: people close tickets. An alert
that worsens re-grades its ticket in the same transaction, keeping the SLA
deadlines set at opening; one that eases leaves the ticket's grade to people.

An alert's ``opened_at`` is when its evidence began (the first anomalous
observation); ``raised_at`` is the cycle's ``now``, when the rule fired. Its
ticket is received then too, which starts the SLA clock.

An alert closed on windows that late data has since re-scored as high is
reopened rather than raised again (``alerts.alert_reopening``): its ticket
continues, hears why, and is re-graded as for any open alert.

Each alert opened (whether it opened a ticket or joined one) then has its
evidence frozen on the ticket (``alerts.ticket_evidence``), in a transaction of
its own once every machine's tickets are committed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.alert_reopening import reopen_note, reopens
from alerts.anomaly_rules import (
    AnomalyEpisode,
    CloseAlert,
    RaiseAlert,
    SustainedAnomalyRule,
    UpdateAlert,
    alert_message,
    assess_open,
    assess_quiet,
)
from alerts.forecast_rules import (
    ClosePrediction,
    PredictedLimitRule,
    RaisePrediction,
    UpdatePrediction,
    assess_forecast,
    outlook_text,
)
from alerts.ticket_escalation import escalation_note, regrade_for, unchanged_note
from alerts.ticket_evidence import freeze_evidence
from alerts.ticket_joining import join_open_ticket
from alerts.ticket_workflow import draft_forecast_ticket, draft_ticket
from models.alerts import Alert
from models.anomaly import AnomalyScore
from models.condition_forecast import HealthForecast
from models.plant import Plant, Severity
from storage import alert_store, anomaly_store, forecast_store, maintenance_store, ticket_store
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertReport:
    """What one cycle changed: alert ids, and numbers of the tickets registered or re-graded."""

    opened: tuple[int, ...] = ()
    tickets: tuple[str, ...] = ()
    updated: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    escalated: tuple[str, ...] = ()
    reopened: tuple[int, ...] = ()

    def __add__(self, other: AlertReport) -> AlertReport:
        return AlertReport(
            self.opened + other.opened,
            self.tickets + other.tickets,
            self.updated + other.updated,
            self.closed + other.closed,
            self.escalated + other.escalated,
            self.reopened + other.reopened,
        )


async def run_alert_cycle(
    pool: Pool,
    plant: Plant,
    *,
    now: datetime,
    rule: SustainedAnomalyRule | None = None,
    forecast_rule: PredictedLimitRule | None = None,
    machine_ids: Collection[str] | None = None,
) -> AlertReport:
    """Apply the sustained-anomaly and predicted-limit rules to every machine (or to
    ``machine_ids``, this process's share) as of ``now`` (plant time)."""
    active_rule = rule if rule is not None else SustainedAnomalyRule()
    prediction_rule = forecast_rule if forecast_rule is not None else PredictedLimitRule()
    report = AlertReport()
    for placement in plant.placements():
        machine_id = placement.machine.id
        if machine_ids is not None and machine_id not in machine_ids:
            continue
        async with pool.connection() as conn:
            if await maintenance_store.in_planned_window(
                conn, machine_id=machine_id, line_id=placement.line.id, at=now
            ):
                # Planned maintenance: the machine is stopped, opened and run on purpose.
                continue
            async with conn.transaction():
                anomaly = await _cycle_machine(conn, plant, machine_id, active_rule, now)
            async with conn.transaction():
                forecast = await _cycle_forecast(conn, plant, machine_id, prediction_rule, now)
        report += anomaly + forecast
    if report.opened:
        # After every machine's alerts and tickets are committed: no ticket waits for
        # evidence, its own or another machine's, nor depends on it.
        async with pool.connection() as conn:
            await freeze_evidence(conn, plant, alert_ids=report.opened, now=now)
    return report


async def _cycle_forecast(
    conn: Connection, plant: Plant, machine_id: str, rule: PredictedLimitRule, now: datetime
) -> AlertReport:
    """Raise, refresh or close the machine's predicted-limit alert from its latest forecast."""
    forecast = (
        await forecast_store.latest_forecasts(conn, machine_ids=[machine_id], scope=EVERY_CUSTOMER)
    ).get(machine_id)
    if forecast is None:
        return AlertReport()
    current = await alert_store.find_open_alert(conn, machine_id=machine_id, rule=rule.name)
    decision = assess_forecast(forecast, rule, is_open=current is not None)
    outlook = outlook_text(forecast, _site_zone(plant, machine_id))
    if isinstance(decision, RaisePrediction):
        return await _raise_prediction(conn, plant, forecast, decision, outlook, rule, now)
    if current is None:
        return AlertReport()
    if isinstance(decision, UpdatePrediction):
        await alert_store.refresh_alert(
            conn,
            alert_id=current.id,
            last_seen_at=forecast.computed_at,
            peak_score=forecast.health_index,
            signals=(decision.signal.signal,),
            message=outlook,
        )
        return AlertReport(updated=(current.id,))
    if isinstance(decision, ClosePrediction) and await alert_store.close_alert(
        conn, alert_id=current.id
    ):
        if current.ticket_id is not None:
            await ticket_store.append_event(
                conn,
                ticket_id=current.ticket_id,
                at=now,
                kind="forecast_cleared",
                note=f"alert #{current.id} closed: no signal heads for its limit now. {outlook}",
            )
        return AlertReport(closed=(current.id,))
    return AlertReport()


async def _raise_prediction(
    conn: Connection,
    plant: Plant,
    forecast: HealthForecast,
    decision: RaisePrediction,
    outlook: str,
    rule: PredictedLimitRule,
    now: datetime,
) -> AlertReport:
    """Open the predicted-limit alert; it joins the machine's open warning ticket if
    there is one, else registers a preventive-maintenance ticket."""
    alert = await alert_store.open_alert(
        conn,
        machine_id=forecast.machine_id,
        rule=rule.name,
        severity=decision.severity,
        opened_at=forecast.computed_at,
        raised_at=now,
        last_seen_at=forecast.computed_at,
        peak_score=forecast.health_index,
        signals=(decision.signal.signal,),
        message=outlook,
    )
    if alert is None:
        return AlertReport()
    # One fault, one ticket: a forecast on a machine with an open ticket joins it.
    if await join_open_ticket(conn, alert=alert, now=now) is not None:
        return AlertReport(opened=(alert.id,))
    draft = draft_forecast_ticket(alert, decision.signal, outlook, plant, received_at=now)
    ticket = await ticket_store.register_ticket(
        conn, draft=draft, note=f"opened automatically from forecast alert #{alert.id}"
    )
    await alert_store.link_ticket(conn, alert_id=alert.id, ticket_id=ticket.id)
    log.info(
        "forecast alert #%d on %s opened ticket %s", alert.id, forecast.machine_id, ticket.number
    )
    return AlertReport(opened=(alert.id,), tickets=(ticket.number,))


def _site_zone(plant: Plant, machine_id: str) -> ZoneInfo:
    return ZoneInfo(plant.placement_of(machine_id).site.timezone)


async def _cycle_machine(
    conn: Connection, plant: Plant, machine_id: str, rule: SustainedAnomalyRule, now: datetime
) -> AlertReport:
    current = await alert_store.find_open_alert(conn, machine_id=machine_id, rule=rule.name)
    scores = await anomaly_store.recent_scores(
        conn, machine_id=machine_id, until=now, limit=rule.history_observations
    )
    if current is not None:
        return await _follow_up(conn, current, scores, rule, now)
    quiet = assess_quiet(scores, rule)
    if not isinstance(quiet, RaiseAlert):
        return AlertReport()
    closed = await _closed_alert_continued_by(conn, machine_id, quiet.episode, rule)
    if closed is not None:
        return await _reopen(conn, closed, quiet.episode, scores, rule, now)
    return await _raise(conn, plant, machine_id, quiet.episode, rule, now)


async def _follow_up(
    conn: Connection,
    alert: Alert,
    scores: Sequence[AnomalyScore],
    rule: SustainedAnomalyRule,
    now: datetime,
) -> AlertReport:
    """Refresh or close an open alert on its latest scores."""
    follow_up = assess_open(scores, rule, open_since=alert.opened_at)
    if isinstance(follow_up, UpdateAlert):
        return await _refresh(conn, alert, follow_up.episode, rule, now)
    if isinstance(follow_up, CloseAlert) and await _close(
        conn, alert, follow_up.calm_since, rule, now
    ):
        return AlertReport(closed=(alert.id,))
    return AlertReport()


async def _closed_alert_continued_by(
    conn: Connection, machine_id: str, episode: AnomalyEpisode, rule: SustainedAnomalyRule
) -> Alert | None:
    """The machine's last closed alert if ``episode`` continues it (see ``reopens``)."""
    closed = await alert_store.latest_closed_alert(conn, machine_id=machine_id, rule=rule.name)
    if closed is None or closed.ticket_id is None:
        return None
    # Every path locks the alert row first, then its ticket (``_refresh`` and
    # ``_close`` lock the alert by updating it). Overlapping cycles taking them
    # in opposite orders could deadlock, and the aborted cycle would be lost.
    await alert_store.lock_alert(conn, alert_id=closed.id)
    # Both held until the transaction ends, so that a person marking the ticket
    # repaired meanwhile is not followed by a reopen it no longer allows.
    ticket = await ticket_store.lock_ticket(conn, ticket_id=closed.ticket_id)
    if reopens(closed, ticket, machine_id=machine_id, episode=episode, rule=rule):
        return closed
    return None


async def _reopen(
    conn: Connection,
    closed: Alert,
    episode: AnomalyEpisode,
    scores: Sequence[AnomalyScore],
    rule: SustainedAnomalyRule,
    now: datetime,
) -> AlertReport:
    """Reopen the alert, tell its ticket why, then follow it up as any open alert."""
    alert = await alert_store.reopen_alert(conn, alert_id=closed.id, opened_at=episode.started_at)
    if alert is None or alert.ticket_id is None:
        log.info("alert #%d already reopened or superseded; no second ticket", closed.id)
        return AlertReport()
    await ticket_store.append_event(
        conn,
        ticket_id=alert.ticket_id,
        at=now,
        kind="alert_reopened",
        note=reopen_note(alert.id, episode, rule),
    )
    log.info("alert #%d on %s reopened by re-scored late data", alert.id, alert.machine_id)
    return AlertReport(reopened=(alert.id,)) + await _follow_up(conn, alert, scores, rule, now)


async def _raise(
    conn: Connection,
    plant: Plant,
    machine_id: str,
    episode: AnomalyEpisode,
    rule: SustainedAnomalyRule,
    now: datetime,
) -> AlertReport:
    """Open the alert and register its ticket, unless another cycle got there first."""
    alert = await alert_store.open_alert(
        conn,
        machine_id=machine_id,
        rule=rule.name,
        severity=episode.severity,
        opened_at=episode.started_at,
        raised_at=now,
        last_seen_at=episode.last_seen_at,
        peak_score=episode.peak_score,
        signals=episode.signals,
        message=alert_message(episode, rule),
    )
    if alert is None:
        log.info("alert for %s already open; no second ticket", machine_id)
        return AlertReport()
    # A second warning on a machine whose ticket is still being worked joins it.
    if await join_open_ticket(conn, alert=alert, now=now) is not None:
        return AlertReport(opened=(alert.id,))
    draft = draft_ticket(alert, episode, plant, received_at=now)
    forecast = (
        await forecast_store.latest_forecasts(conn, machine_ids=[machine_id], scope=EVERY_CUSTOMER)
    ).get(machine_id)
    if forecast is not None:
        outlook = outlook_text(forecast, _site_zone(plant, machine_id))
        draft = replace(draft, symptoms=f"{draft.symptoms}\nOutlook: {outlook}")
    ticket = await ticket_store.register_ticket(
        conn, draft=draft, note=f"opened automatically from alert #{alert.id}"
    )
    await alert_store.link_ticket(conn, alert_id=alert.id, ticket_id=ticket.id)
    log.info("alert #%d on %s opened ticket %s", alert.id, machine_id, ticket.number)
    return AlertReport(opened=(alert.id,), tickets=(ticket.number,))


async def _refresh(
    conn: Connection,
    alert: Alert,
    episode: AnomalyEpisode,
    rule: SustainedAnomalyRule,
    now: datetime,
) -> AlertReport:
    """Update the alert's figures; if its grade rose, re-grade its ticket too."""
    refreshed = await alert_store.refresh_alert(
        conn,
        alert_id=alert.id,
        last_seen_at=episode.last_seen_at,
        peak_score=episode.peak_score,
        signals=episode.signals,
        message=alert_message(episode, rule),
    )
    if not refreshed:
        return AlertReport()
    report = AlertReport(updated=(alert.id,))
    raised = await alert_store.raise_severity(conn, alert_id=alert.id, severity=episode.severity)
    if raised and alert.ticket_id is not None:
        report += await _escalate_ticket(conn, alert.id, alert.ticket_id, episode.severity, now)
    return report


async def _escalate_ticket(
    conn: Connection,
    alert_id: int,
    ticket_id: int,
    severity: Severity,
    now: datetime,
) -> AlertReport:
    """Re-grade the alert's ticket to ``severity`` and record it, or record why not."""
    # Locked so that a person changing the ticket meanwhile is neither overwritten nor lost.
    # The alert row is already locked (by ``raise_severity``): alert first, then ticket.
    ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
    if ticket is None:
        return AlertReport()
    regrade = regrade_for(ticket, severity)
    if regrade is None:
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=now,
            kind="alert_worsened",
            note=unchanged_note(alert_id, ticket, severity),
        )
        return AlertReport()
    await ticket_store.regrade_ticket(
        conn,
        ticket_id=ticket_id,
        old_severity=ticket.draft.severity,
        severity=regrade.severity,
        ticket_type=regrade.ticket_type,
        at=now,
        kind="escalated",
        note=escalation_note(alert_id, ticket, regrade),
    )
    log.info("alert #%d worsened: ticket %s re-graded %s", alert_id, ticket.number, severity)
    return AlertReport(escalated=(ticket.number,))


async def _close(
    conn: Connection,
    alert: Alert,
    calm_since: datetime,
    rule: SustainedAnomalyRule,
    now: datetime,
) -> bool:
    """Close a recovered alert and tell its ticket, which stays open for people to close."""
    if not await alert_store.close_alert(conn, alert_id=alert.id):
        return False
    if alert.ticket_id is not None:
        await ticket_store.append_event(
            conn,
            ticket_id=alert.ticket_id,
            at=now,
            kind="alert_recovered",
            note=(
                f"alert #{alert.id} closed: anomaly score below {rule.clear_below:g} "
                f"since {calm_since.isoformat(timespec='minutes')}"
            ),
        )
    log.info("alert #%d on %s recovered", alert.id, alert.machine_id)
    return True
