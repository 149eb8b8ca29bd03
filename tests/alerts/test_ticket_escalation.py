"""Re-grading a ticket when its alert worsens: tighter promises, never looser, never lower."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.ticket_escalation import (
    escalation_note,
    regrade_for,
    tightest,
    unchanged_note,
)
from alerts.ticket_workflow import draft_ticket
from models.plant import Plant, Severity
from models.tickets import SlaDeadlines, Ticket, TicketStatus, TicketType
from tests.alerts.factories import FRIDAY_0800, alert_for, episode, ticket_for

BERLIN = ZoneInfo("Europe/Berlin")
# Friday 09:20 in Hamburg; Nordbrau's contract promises 30 min / 12 h / 36 h when serious.
RECEIVED = FRIDAY_0800 + timedelta(minutes=20)


def _ticket(
    plant: Plant, severity: Severity, status: TicketStatus = TicketStatus.REGISTERED
) -> Ticket:
    found = episode(severity=severity)
    return ticket_for(
        draft_ticket(alert_for(found), found, plant, received_at=RECEIVED), status=status
    )


def test_a_general_fault_turning_serious_gets_the_serious_promises_from_receipt(
    plant: Plant,
) -> None:
    regrade = regrade_for(_ticket(plant, Severity.GENERAL), Severity.SERIOUS, plant)

    assert regrade is not None
    assert regrade.severity is Severity.SERIOUS
    assert regrade.ticket_type is TicketType.EMERGENCY_REPAIR
    assert regrade.deadlines == SlaDeadlines(
        response_due=RECEIVED + timedelta(minutes=30),
        arrival_due=RECEIVED + timedelta(hours=12),
        resolution_due=RECEIVED + timedelta(hours=36),
    )


def test_an_escalation_never_moves_a_deadline_later(plant: Plant) -> None:
    # Nordbrau answers a serious fault in 30 min but a major one in the default hour.
    regrade = regrade_for(_ticket(plant, Severity.SERIOUS), Severity.MAJOR, plant)

    assert regrade is not None
    assert regrade.deadlines == SlaDeadlines(
        response_due=RECEIVED + timedelta(minutes=30),
        arrival_due=RECEIVED + timedelta(hours=10),
        resolution_due=RECEIVED + timedelta(hours=24),
    )


def test_an_arrival_as_agreed_gets_the_worse_grades_date(plant: Plant) -> None:
    regrade = regrade_for(_ticket(plant, Severity.MINOR), Severity.GENERAL, plant)

    assert regrade is not None
    assert regrade.ticket_type is TicketType.GENERAL_FAULT
    # Three working days after Friday 09:20, counted in Hamburg.
    assert regrade.deadlines.arrival_due == datetime(2026, 1, 14, 9, 20, tzinfo=BERLIN)
    assert regrade.deadlines.response_due == RECEIVED + timedelta(hours=2)


def test_deadlines_read_back_in_utc_are_counted_in_the_sites_zone(plant: Plant) -> None:
    # The database hands times back in UTC; 3 working days still means Hamburg's days.
    ticket = _ticket(plant, Severity.MINOR)
    stored = dataclasses.replace(
        ticket, draft=dataclasses.replace(ticket.draft, received_at=RECEIVED.astimezone(UTC))
    )

    regrade = regrade_for(stored, Severity.GENERAL, plant)

    assert regrade is not None
    assert regrade.deadlines.arrival_due == datetime(2026, 1, 14, 9, 20, tzinfo=BERLIN)


def test_a_milder_or_equal_grade_leaves_the_ticket_alone(plant: Plant) -> None:
    serious = _ticket(plant, Severity.SERIOUS)

    assert regrade_for(serious, Severity.GENERAL, plant) is None
    assert regrade_for(serious, Severity.SERIOUS, plant) is None


def test_a_repaired_ticket_is_not_regraded_and_the_note_says_why(plant: Plant) -> None:
    repaired = _ticket(plant, Severity.GENERAL, TicketStatus.REPAIRED)

    assert regrade_for(repaired, Severity.SERIOUS, plant) is None
    assert unchanged_note(7, repaired, Severity.SERIOUS) == (
        "alert #7 worsened to serious; grade unchanged: "
        "the ticket is repaired; reopen it if the fault has returned"
    )


def test_a_type_a_person_chose_is_kept(plant: Plant) -> None:
    ticket = _ticket(plant, Severity.GENERAL)
    complaint = dataclasses.replace(
        ticket, draft=dataclasses.replace(ticket.draft, ticket_type=TicketType.COMPLAINT)
    )

    regrade = regrade_for(complaint, Severity.SERIOUS, plant)

    assert regrade is not None
    assert regrade.ticket_type is TicketType.COMPLAINT


def test_the_history_note_lists_every_change(plant: Plant) -> None:
    ticket = _ticket(plant, Severity.GENERAL)
    regrade = regrade_for(ticket, Severity.SERIOUS, plant)
    assert regrade is not None

    assert escalation_note(7, ticket, regrade) == (
        "alert #7 worsened to serious: severity general -> serious; "
        "type general_fault -> emergency_repair; "
        "response due 2026-01-09T11:20+01:00 -> 2026-01-09T09:50+01:00; "
        "arrival due 2026-01-14T09:20+01:00 -> 2026-01-09T21:20+01:00; "
        "resolution due 2026-01-12T09:20+01:00 -> 2026-01-10T21:20+01:00"
    )


def test_tightest_keeps_the_earlier_of_each_deadline() -> None:
    early, late = RECEIVED + timedelta(hours=1), RECEIVED + timedelta(hours=5)
    kept = SlaDeadlines(response_due=early, arrival_due=None, resolution_due=late)
    promised = SlaDeadlines(response_due=late, arrival_due=late, resolution_due=early)

    assert tightest(kept, promised) == SlaDeadlines(
        response_due=early, arrival_due=late, resolution_due=early
    )
    assert tightest(promised, kept).arrival_due == late
