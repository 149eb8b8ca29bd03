"""Which field engineer to send: a ranking with the reasons in plain sentences. Pure.

Every engineer gets four score parts, each a value from 0 to 1 times its weight;
the score is their sum on a scale of 0 to 100.

- **skill**: 0.7 when they service the ticket's machine model, plus 0.3 when they
  handle its ticket type (emergency repair, preventive maintenance, ...).
- **certification**: 1 when a certificate valid today covers the machine model,
  else 0. A covering certificate that has expired is named as a warning.
- **workload**: 1 / (1 + open jobs), open jobs being their tickets dispatched and
  not yet repaired (``models.dispatch.OPEN_JOB_STATUSES``).
- **proximity**: with both the site's and the engineer's base location, 1 at the
  site falling linearly to 0 at ``REACH_KM`` straight-line kilometres (haversine);
  without them, 1 for the same region and 0 for another or an unknown one.

Weights by urgency (they add up to 1):

| grade              | skill | certification | workload | proximity |
| ------------------ | ----- | ------------- | -------- | --------- |
| minor, general     | 0.40  | 0.15          | 0.25     | 0.20      |
| serious, major     | 0.30  | 0.15          | 0.15     | 0.40      |

For a serious or major fault the line is stopped or at risk, so getting there
fast weighs more than the engineer's load. Travel time is the straight-line
distance times ``ROAD_FACTOR`` at ``TRAVEL_SPEED_KMH``; an engineer who would
arrive after the ticket's arrival deadline is flagged and ranked after everyone
who can make it, whatever their score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.dispatch import Candidate, FieldEngineer, ScoreFactor, ScorePart
from models.plant import Location, MachinePlacement, Severity
from models.tickets import Ticket, TicketType

EARTH_RADIUS_KM = 6371.0
# Roads are longer than the straight line; the factor is a common rule of thumb.
ROAD_FACTOR = 1.3
TRAVEL_SPEED_KMH = 70.0
REACH_KM = 800.0
MODEL_SKILL = 0.7
TYPE_SKILL = 0.3

F = ScoreFactor
ROUTINE_WEIGHTS: dict[ScoreFactor, float] = {
    F.SKILL: 0.40,
    F.CERTIFICATION: 0.15,
    F.WORKLOAD: 0.25,
    F.PROXIMITY: 0.20,
}
URGENT_WEIGHTS: dict[ScoreFactor, float] = {
    F.SKILL: 0.30,
    F.CERTIFICATION: 0.15,
    F.WORKLOAD: 0.15,
    F.PROXIMITY: 0.40,
}
_URGENT = frozenset({Severity.SERIOUS, Severity.MAJOR})


@dataclass(frozen=True, slots=True)
class DispatchNeed:
    """What the ticket asks of an engineer, and where and by when."""

    machine_model: str
    ticket_type: TicketType
    severity: Severity
    site_name: str
    site_timezone: str
    site_region: str | None
    site_location: Location | None
    arrival_due: datetime | None


def need_of(ticket: Ticket, placement: MachinePlacement) -> DispatchNeed:
    """The dispatch need of a ticket on a machine of the plant file."""
    site = placement.site
    return DispatchNeed(
        machine_model=ticket.draft.machine_model,
        ticket_type=ticket.draft.ticket_type,
        severity=ticket.draft.severity,
        site_name=site.name,
        site_timezone=site.timezone,
        site_region=site.region,
        site_location=site.location,
        arrival_due=ticket.draft.deadlines.arrival_due,
    )


def weights_for(severity: Severity) -> dict[ScoreFactor, float]:
    return URGENT_WEIGHTS if severity in _URGENT else ROUTINE_WEIGHTS


def haversine_km(a: Location, b: Location) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def travel_time(distance_km: float) -> timedelta:
    """How long the drive takes at the stated speed over roads ``ROAD_FACTOR`` longer."""
    return timedelta(hours=distance_km * ROAD_FACTOR / TRAVEL_SPEED_KMH)


def rank_engineers(
    need: DispatchNeed, engineers: list[FieldEngineer], *, now: datetime
) -> list[Candidate]:
    """Every engineer scored for the need, best first; those who would arrive late last."""
    scored = [_candidate(need, engineer, now) for engineer in engineers]
    scored.sort(key=lambda c: (c.misses_arrival is True, -c.score, c.engineer.login))
    return [replace(c, rank=i) for i, c in enumerate(scored, start=1)]


def _candidate(need: DispatchNeed, engineer: FieldEngineer, now: datetime) -> Candidate:
    weights = weights_for(need.severity)
    reasons: list[str] = []
    warnings: list[str] = []
    skill = _skill(need, engineer, reasons)
    certified = _certification(need, engineer, now.date(), reasons, warnings)
    workload = _workload(engineer, reasons)
    travel = _travel(need, engineer, now, reasons, warnings)
    if need.severity in _URGENT:
        reasons.append(f"A {need.severity} fault: distance to the site weighs more than workload.")
    values = {
        F.SKILL: skill,
        F.CERTIFICATION: certified,
        F.WORKLOAD: workload,
        F.PROXIMITY: travel.proximity,
    }
    parts = tuple(ScorePart(f, values[f], weights[f]) for f in ScoreFactor)
    return Candidate(
        engineer=engineer,
        score=round(100 * sum(p.points for p in parts), 1),
        parts=parts,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        distance_km=travel.distance_km,
        travel_time=travel.duration,
        estimated_arrival=travel.arrival,
        misses_arrival=travel.misses_arrival,
        same_region=travel.same_region,
    )


def _skill(need: DispatchNeed, engineer: FieldEngineer, reasons: list[str]) -> float:
    profile = engineer.profile
    knows_model = need.machine_model in profile.machine_models
    handles_type = need.ticket_type in profile.ticket_types
    kind = need.ticket_type.value.replace("_", " ")
    reasons.append(
        f"Services the {need.machine_model}."
        if knows_model
        else f"Does not list the {need.machine_model} among their machine models."
    )
    reasons.append(
        f"Handles {kind} tickets." if handles_type else f"Does not list {kind} among their work."
    )
    return MODEL_SKILL * knows_model + TYPE_SKILL * handles_type


def _certification(
    need: DispatchNeed,
    engineer: FieldEngineer,
    today: date,
    reasons: list[str],
    warnings: list[str],
) -> float:
    covering = [c for c in engineer.profile.certifications if c.covers(need.machine_model)]
    valid = [c for c in covering if c.valid_on(today)]
    if valid:
        best = max(valid, key=lambda c: c.valid_until)
        reasons.append(
            f"Certified for the {need.machine_model} ({best.name}) until {best.valid_until}."
        )
        return 1.0
    for expired in covering:
        warnings.append(
            f"Their {need.machine_model} certificate ({expired.name})"
            f" expired on {expired.valid_until}."
        )
    if not covering:
        reasons.append(f"Holds no certificate for the {need.machine_model}.")
    return 0.0


def _workload(engineer: FieldEngineer, reasons: list[str]) -> float:
    jobs = engineer.open_jobs
    reasons.append(
        "Has no open jobs."
        if jobs == 0
        else f"Has {jobs} open job{'s' if jobs != 1 else ''} already."
    )
    return 1.0 / (1 + jobs)


@dataclass(frozen=True, slots=True)
class _Travel:
    proximity: float
    distance_km: float | None = None
    duration: timedelta | None = None
    arrival: datetime | None = None
    misses_arrival: bool | None = None
    same_region: bool | None = None


def _travel(
    need: DispatchNeed,
    engineer: FieldEngineer,
    now: datetime,
    reasons: list[str],
    warnings: list[str],
) -> _Travel:
    profile = engineer.profile
    same_region = (
        profile.home_region == need.site_region
        if profile.home_region and need.site_region
        else None
    )
    base, site = profile.base_location, need.site_location
    if base is None or site is None:
        if same_region is None:
            reasons.append("Neither a base location nor a home region to compare with the site.")
        elif same_region:
            reasons.append(f"Based in the site's region ({need.site_region}).")
        else:
            reasons.append(
                f"Based in {profile.home_region}, not in the site's region ({need.site_region})."
            )
        return _Travel(proximity=1.0 if same_region else 0.0, same_region=same_region)
    distance = haversine_km(base, site)
    duration = travel_time(distance)
    arrival = now + duration
    where = f" from {profile.base_name}" if profile.base_name else ""
    reasons.append(
        f"{distance:.0f} km{where} to the {need.site_name},"
        f" about {_duration_text(duration)} by road."
    )
    misses = None
    if need.arrival_due is not None:
        misses = arrival > need.arrival_due
        if misses:
            due = need.arrival_due.astimezone(ZoneInfo(need.site_timezone))
            warnings.append(
                f"Cannot reach the site by the arrival deadline ({due:%Y-%m-%d %H:%M} site"
                f" time): the drive alone takes {_duration_text(duration)}."
            )
    return _Travel(
        proximity=max(0.0, 1.0 - distance / REACH_KM),
        distance_km=round(distance, 1),
        duration=duration,
        arrival=arrival,
        misses_arrival=misses,
        same_region=same_region,
    )


def _duration_text(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
