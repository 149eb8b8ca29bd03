"""Ranking field engineers for a ticket: skill, certificates, workload, distance, urgency."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from alerts.dispatch_ranking import (
    ROUTINE_WEIGHTS,
    URGENT_WEIGHTS,
    DispatchNeed,
    haversine_km,
    rank_engineers,
    travel_time,
)
from models.dispatch import Certification, EngineerProfile, FieldEngineer, ScoreFactor
from models.plant import Location, Severity
from models.tickets import TicketType

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HAMBURG = Location(lat=53.5511, lon=9.9937)
MUNICH = Location(lat=48.1351, lon=11.5820)
SITE = Location(lat=53.5461, lon=9.9661)

NEED = DispatchNeed(
    machine_model="FIL-12",
    ticket_type=TicketType.GENERAL_FAULT,
    severity=Severity.GENERAL,
    site_name="Hamburg brewery",
    site_timezone="Europe/Berlin",
    site_region="north",
    site_location=SITE,
    arrival_due=None,
)


def engineer(
    login: str,
    *,
    base: Location | None = HAMBURG,
    region: str = "north",
    models: tuple[str, ...] = ("FIL-12",),
    types: tuple[TicketType, ...] = (TicketType.GENERAL_FAULT,),
    certificates: tuple[Certification, ...] = (),
    open_jobs: int = 0,
) -> FieldEngineer:
    profile = EngineerProfile(
        login=login,
        home_region=region,
        base_name=f"{login} base",
        base_location=base,
        machine_models=models,
        ticket_types=types,
        certifications=certificates,
    )
    return FieldEngineer(
        login=login, display_name=login.title(), profile=profile, open_jobs=open_jobs
    )


def logins(need: DispatchNeed, engineers: list[FieldEngineer]) -> list[str]:
    return [c.engineer.login for c in rank_engineers(need, engineers, now=NOW)]


def test_the_weights_of_each_urgency_add_up_to_one() -> None:
    assert sum(ROUTINE_WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(URGENT_WEIGHTS.values()) == pytest.approx(1.0)
    assert URGENT_WEIGHTS[ScoreFactor.PROXIMITY] > ROUTINE_WEIGHTS[ScoreFactor.PROXIMITY]


def test_haversine_gives_the_known_distance_hamburg_to_munich() -> None:
    assert haversine_km(HAMBURG, MUNICH) == pytest.approx(612, abs=5)
    assert haversine_km(HAMBURG, HAMBURG) == 0


def test_travel_time_is_the_road_distance_at_the_stated_speed() -> None:
    assert travel_time(70 / 1.3) == timedelta(hours=1)


def test_a_skilled_certified_free_engineer_nearby_scores_full_marks_with_reasons() -> None:
    best = engineer(
        "ideal",
        certificates=(Certification("FIL-12 training", date(2027, 1, 1), ("FIL-12",)),),
    )
    [candidate] = rank_engineers(NEED, [best], now=NOW)

    assert candidate.rank == 1
    assert candidate.distance_km is not None
    assert candidate.score == pytest.approx(100 * (1 - 0.2 * candidate.distance_km / 800), abs=0.1)
    assert {p.factor: p.value for p in candidate.parts}[ScoreFactor.SKILL] == 1.0
    assert candidate.reasons[:4] == (
        "Services the FIL-12.",
        "Handles general fault tickets.",
        "Certified for the FIL-12 (FIL-12 training) until 2027-01-01.",
        "Has no open jobs.",
    )
    assert candidate.reasons[4].startswith("2 km from ideal base to the Hamburg brewery")
    assert candidate.warnings == ()


def test_skill_counts_the_machine_model_more_than_the_ticket_type() -> None:
    knows_model = engineer("model", types=())
    knows_type = engineer("kind", models=())

    ranked = rank_engineers(NEED, [knows_type, knows_model], now=NOW)

    assert [c.engineer.login for c in ranked] == ["model", "kind"]
    skill = [next(p for p in c.parts if p.factor is ScoreFactor.SKILL) for c in ranked]
    assert [s.value for s in skill] == pytest.approx([0.7, 0.3])
    assert "Does not list general fault among their work." in ranked[0].reasons


def test_distance_outweighs_workload_for_a_serious_fault_but_not_a_routine_one() -> None:
    near_busy = engineer("near", base=SITE, open_jobs=3)
    far_free = engineer("far", base=Location(lat=48.75, lon=9.99))  # about 530 km south

    routine = logins(NEED, [near_busy, far_free])
    serious = logins(replace(NEED, severity=Severity.SERIOUS), [near_busy, far_free])

    assert routine == ["far", "near"]
    assert serious == ["near", "far"]
    [first, _] = rank_engineers(
        replace(NEED, severity=Severity.SERIOUS), [near_busy, far_free], now=NOW
    )
    assert "A serious fault: distance to the site weighs more than workload." in first.reasons
    assert "Has 3 open jobs already." in first.reasons


def test_an_engineer_who_cannot_make_the_arrival_deadline_is_ranked_last_and_flagged() -> None:
    far_expert = engineer(
        "expert",
        base=MUNICH,
        certificates=(Certification("FIL-12 training", date(2027, 1, 1), ("FIL-12",)),),
    )
    near_novice = engineer("novice", base=SITE, models=(), types=())
    need = replace(NEED, arrival_due=NOW + timedelta(hours=4))

    ranked = rank_engineers(need, [far_expert, near_novice], now=NOW)

    assert [c.engineer.login for c in ranked] == ["novice", "expert"]
    assert ranked[1].score > ranked[0].score
    assert ranked[1].misses_arrival is True
    assert ranked[0].misses_arrival is False
    assert ranked[1].warnings == (
        "Cannot reach the site by the arrival deadline (2026-03-02 17:00 site time):"
        " the drive alone takes 11 h 22 min.",
    )
    assert ranked[1].estimated_arrival == NOW + travel_time(haversine_km(MUNICH, SITE))


def test_an_expired_certificate_earns_nothing_and_is_named() -> None:
    lapsed = engineer(
        "lapsed",
        certificates=(Certification("FIL-12 training", date(2026, 3, 1), ("FIL-12",)),),
    )
    valid = engineer(
        "valid",
        certificates=(Certification("FIL-12 training", date(2026, 3, 2), ("FIL-12",)),),
    )

    ranked = rank_engineers(NEED, [lapsed, valid], now=NOW)

    assert [c.engineer.login for c in ranked] == ["valid", "lapsed"]
    certified = {
        c.engineer.login: next(p for p in c.parts if p.factor is ScoreFactor.CERTIFICATION)
        for c in ranked
    }
    assert certified["lapsed"].value == 0 and certified["valid"].value == 1
    assert ranked[1].warnings == (
        "Their FIL-12 certificate (FIL-12 training) expired on 2026-03-01.",
    )


def test_without_locations_the_region_decides_proximity() -> None:
    need = replace(NEED, site_location=None)
    local = engineer("local", base=None, region="north")
    remote = engineer("remote", base=None, region="south")

    ranked = rank_engineers(need, [remote, local], now=NOW)

    assert [c.engineer.login for c in ranked] == ["local", "remote"]
    assert [c.same_region for c in ranked] == [True, False]
    assert [c.distance_km for c in ranked] == [None, None]
    assert [c.misses_arrival for c in ranked] == [None, None]
    assert "Based in the site's region (north)." in ranked[0].reasons
    assert "Based in south, not in the site's region (north)." in ranked[1].reasons


def test_equal_scores_rank_by_login() -> None:
    assert logins(NEED, [engineer("b"), engineer("a")]) == ["a", "b"]
