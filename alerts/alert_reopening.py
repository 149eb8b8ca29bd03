"""When a new sustained anomaly is an alert closed too early, reopened. Pure.

The alert cycle closes an alert once the latest windows score calm for the
rule's ``clear_duration``. Windows scored on part of their data (a gateway
still holding back the condition signals) can look calm; when the late data
arrives, analytics re-scores them and they turn out high. That is the same
episode, not a new fault, so the closed alert is reopened and its ticket
continues instead of a second ticket being registered.

The new run must begin before ``clear_duration`` has passed after the closed
alert's last anomalous window (or overlap the alert). Windows are aligned, so a
run beginning that early holds a window the closing cycle saw calm or missing:
it was re-scored from late data. A fault that comes back after the alert
closed on complete data begins later and opens a new alert, as does one whose
ticket is past repair: whether a returning fault reopens a repaired ticket is
a person's call (DOMAIN.md, "reopened").
"""

from __future__ import annotations

from alerts.anomaly_rules import AnomalyEpisode, SustainedAnomalyRule
from alerts.ticket_escalation import is_past_repair
from models.alerts import Alert, AlertStatus
from models.tickets import Ticket


def reopens(
    closed: Alert,
    ticket: Ticket | None,
    *,
    machine_id: str,
    episode: AnomalyEpisode,
    rule: SustainedAnomalyRule,
) -> bool:
    """True when ``episode`` on ``machine_id`` continues ``closed``, whose ticket is ``ticket``.

    Same machine, rule and at least one driving signal; closed by the alert
    cycle with its ticket still being worked on; and the episode overlaps the
    alert or begins within ``rule.clear_duration`` after it.
    """
    if closed.status is not AlertStatus.CLOSED:
        return False
    if (closed.machine_id, closed.rule) != (machine_id, rule.name):
        return False
    if not set(closed.signals) & set(episode.signals):
        return False
    if ticket is None or ticket.id != closed.ticket_id or is_past_repair(ticket.status):
        return False
    return (
        episode.last_seen_at > closed.opened_at
        and episode.started_at < closed.last_seen_at + rule.clear_duration
    )


def reopen_note(alert_id: int, episode: AnomalyEpisode, rule: SustainedAnomalyRule) -> str:
    """The history entry of a reopened alert: why, from when, and that the ticket carries on."""
    since = episode.started_at.isoformat(timespec="minutes")
    return (
        f"alert #{alert_id} reopened: late telemetry re-scored the windows it was closed on; "
        f"anomaly score at or above {rule.threshold:g} since {since} "
        f"(peak {episode.peak_score:.1f}). Same episode: this ticket continues"
    )
