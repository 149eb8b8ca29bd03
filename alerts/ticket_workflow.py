"""From an alert to the registration record of a service ticket. Pure.

An early warning is registered like any other service request (DOMAIN.md): who
the customer is, which line and machine, what was observed, whether the line is
under warranty, and the deadlines the contract promises from the time received.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerts.anomaly_rules import AnomalyEpisode
from alerts.sla_calendar import site_calendar
from alerts.sla_deadlines import sla_deadlines
from models.alerts import Alert
from models.anomaly import SignalContribution
from models.condition_forecast import SignalForecast
from models.plant import Line, MachinePlacement, Plant, Severity
from models.signal_words import signal_words
from models.tickets import Channel, TicketDraft, TicketType

_EMERGENCY_GRADES = frozenset({Severity.SERIOUS, Severity.MAJOR})


def warranty_end(line: Line) -> date:
    """The first day outside the warranty: the acceptance date plus the warranty months.

    A month without that day (31 March + 11 months) ends on its last day. Warranty
    extensions for downtime are not tracked here.
    """
    months = line.acceptance_date.month - 1 + line.warranty_months
    year = line.acceptance_date.year + months // 12
    month = months % 12 + 1
    day = min(line.acceptance_date.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def is_under_warranty(line: Line, on: date) -> bool:
    return line.acceptance_date <= on < warranty_end(line)


def ticket_type_for(severity: Severity) -> TicketType:
    """A line stopped or worse starts the emergency response; anything less is a general fault."""
    return (
        TicketType.EMERGENCY_REPAIR if severity in _EMERGENCY_GRADES else TicketType.GENERAL_FAULT
    )


def draft_ticket(
    alert: Alert, episode: AnomalyEpisode, plant: Plant, *, received_at: datetime
) -> TicketDraft:
    """The ticket an alert opens on its own, received by the service desk at ``received_at``."""
    placement = plant.placement_of(alert.machine_id)
    return _automatic_draft(
        alert,
        placement,
        ticket_type=ticket_type_for(alert.severity),
        summary=ticket_summary(placement, episode.drivers),
        symptoms=ticket_symptoms(alert, episode, placement),
        signals=alert.signals,
        received_at=received_at,
    )


def draft_forecast_ticket(
    alert: Alert, forecast: SignalForecast, outlook: str, plant: Plant, *, received_at: datetime
) -> TicketDraft:
    """The preventive-maintenance ticket a predicted-limit alert opens on its own."""
    placement = plant.placement_of(alert.machine_id)
    machine, line = placement.machine, placement.line
    return _automatic_draft(
        alert,
        placement,
        ticket_type=TicketType.PREVENTIVE_MAINTENANCE,
        summary=(
            f"Predicted limit on {machine.name} ({machine.model}, {machine.serial}),"
            f" line {line.name}: {forecast.sentence()}"
        ),
        symptoms="\n".join(
            [
                f"Automatic forecast from remote monitoring (alert #{alert.id}).",
                outlook,
                f"Site {placement.site.name}; line serial {line.serial}.",
            ]
        ),
        signals=(forecast.signal,),
        received_at=received_at,
    )


def _automatic_draft(
    alert: Alert,
    placement: MachinePlacement,
    *,
    ticket_type: TicketType,
    summary: str,
    symptoms: str,
    signals: tuple[str, ...],
    received_at: datetime,
) -> TicketDraft:
    """The registration record of a ticket a warning opens: who, where, what, by when."""
    local_received = received_at.astimezone(ZoneInfo(placement.site.timezone))
    contract = placement.customer.contract
    return TicketDraft(
        customer_id=placement.customer.id,
        contract_number=contract.number,
        contact_name=placement.customer.contact.name,
        line_id=placement.line.id,
        machine_id=placement.machine.id,
        machine_model=placement.machine.model,
        machine_serial=placement.machine.serial,
        ticket_type=ticket_type,
        channel=Channel.AUTOMATIC_WARNING,
        severity=alert.severity,
        under_warranty=is_under_warranty(placement.line, local_received.date()),
        summary=summary,
        symptoms=symptoms,
        signals=signals,
        received_at=local_received,
        deadlines=sla_deadlines(
            contract,
            alert.severity,
            received_at=local_received,
            holidays=placement.site.calendar.holidays,
            calendar=site_calendar(
                placement.site, counts_working_time=contract.counts_working_time
            ),
        ),
        alert_id=alert.id,
        contact_phone=placement.customer.contact.phone,
        contact_email=placement.customer.contact.email,
        counts_working_time=contract.counts_working_time,
        pauses_for_customer=contract.pauses_while_waiting_for_customer,
    )


def ticket_summary(placement: MachinePlacement, drivers: tuple[SignalContribution, ...]) -> str:
    """One line naming the machine, its model and serial, the line, and the signals' trend.

    e.g. "Condition anomaly on Filler (FIL-12, FIL12-88121), line Filling line 1:
    vibration RMS, bearing temperature rising".
    """
    machine, line = placement.machine, placement.line
    head = (
        f"Condition anomaly on {machine.name} ({machine.model}, {machine.serial}), line {line.name}"
    )
    trend = _trend(drivers)
    return f"{head}: {trend}" if trend else head


def ticket_symptoms(alert: Alert, episode: AnomalyEpisode, placement: MachinePlacement) -> str:
    """The observed facts with their figures, for the engineer doing the remote diagnosis."""
    zone = ZoneInfo(placement.site.timezone)
    start = episode.started_at.astimezone(zone)
    last = episode.last_seen_at.astimezone(zone)
    minutes = round((last - start).total_seconds() / 60)
    drivers = ", ".join(f"{d.signal} {d.deviation:+.1f}" for d in episode.drivers)
    lines = [
        f"Automatic warning from remote monitoring (alert #{alert.id}, rule {alert.rule}).",
        f"Anomaly score stayed above its limit from {start:%Y-%m-%d %H:%M} to {last:%H:%M}"
        f" {last:%Z} ({minutes} min, {episode.windows} observations): peak"
        f" {episode.peak_score:.2f}, median {episode.median_score:.2f} (0 normal, 0.5 limit).",
        "Driving signals (mean deviation from normal, in normal spreads):"
        f" {drivers or 'none named'}.",
        f"Site {placement.site.name}; line serial {placement.line.serial}.",
    ]
    return "\n".join(lines)


def _trend(drivers: tuple[SignalContribution, ...]) -> str:
    rising = [signal_words(d.signal) for d in drivers if d.deviation > 0]
    falling = [signal_words(d.signal) for d in drivers if d.deviation < 0]
    parts = [f"{', '.join(rising)} rising"] if rising else []
    if falling:
        parts.append(f"{', '.join(falling)} falling")
    return "; ".join(parts)
