"""What a machine stop means for an open ticket: the grade it calls for, and the note. Pure.

DOMAIN.md grades faults by their impact: a line stopped is serious; several lines
stopped is major. The stations of a line run in series, so a breakdown of the
ticket's machine stops its line. When other lines of the same site are stopped
by breakdowns at the same time, several lines are down: major.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from models.plant import Plant, Severity
from models.tickets import MachineStop


def impact_grade(stop: MachineStop, site_stops: Sequence[MachineStop]) -> Severity:
    """Serious for the stopped line, major when another line of the site was down with it."""
    lines_down = {
        other.line_id
        for other in site_stops
        if other.started < stop.ended and stop.started < other.ended
    } | {stop.line_id}
    return Severity.MAJOR if len(lines_down) > 1 else Severity.SERIOUS


def stop_note(stop: MachineStop, plant: Plant, *, ongoing: bool) -> str:
    """'Filler stopped since 2026-03-02 14:02 CET on PLC fault 201: Main drive bearing
    failure, still stopped' while it lasts; without 'since ... still stopped' when the
    stop is first seen over (its end follows in ``running_note``). Never a guessed end."""
    placement = plant.placement_of(stop.machine_id)
    start = stop.started.astimezone(ZoneInfo(placement.site.timezone))
    fault = f"PLC fault {stop.fault_code}: {stop.reason}" if stop.fault_code else stop.reason
    if ongoing:
        return (
            f"{placement.machine.name} stopped since {start:%Y-%m-%d %H:%M %Z} on {fault},"
            " still stopped"
        )
    return f"{placement.machine.name} stopped {start:%Y-%m-%d %H:%M %Z} on {fault}"


def running_note(stop: MachineStop, plant: Plant) -> str:
    """'Filler running again 2026-03-02 14:37 CET after 35 min (stopped since 14:02)'."""
    placement = plant.placement_of(stop.machine_id)
    zone = ZoneInfo(placement.site.timezone)
    start, end = stop.started.astimezone(zone), stop.ended.astimezone(zone)
    return (
        f"{placement.machine.name} running again {end:%Y-%m-%d %H:%M %Z}"
        f" after {stop_length(stop)} (stopped since {start:%H:%M})"
    )


def stop_length(stop: MachineStop) -> str:
    """'35 min', or '2 h 05 min' for a long stop."""
    minutes = round((stop.ended - stop.started).total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
