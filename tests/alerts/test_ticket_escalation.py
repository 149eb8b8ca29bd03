"""Re-grading a ticket when its alert worsens: a worse grade, never a lower one, same deadlines."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from alerts.ticket_escalation import (
    TicketRegrade,
    escalation_note,
    regrade_for,
    unchanged_note,
)
from alerts.ticket_workflow import draft_ticket
from models.plant import Plant, Severity
from models.tickets import Ticket, TicketStatus, TicketType
from tests.alerts.factories import FRIDAY_0800, alert_for, episode, ticket_for

# Friday 09:20 in Hamburg.
RECEIVED = FRIDAY_0800 + timedelta(minutes=20)


def _ticket(
    plant: Plant, severity: Severity, status: TicketStatus = TicketStatus.REGISTERED
) -> Ticket:
    found = episode(severity=severity)
    return ticket_for(
        draft_ticket(alert_for(found), found, plant, received_at=RECEIVED), status=status
    )


def test_a_general_fault_turning_serious_becomes_a_serious_emergency_repair(
    plant: Plant,
) -> None:
    regrade = regrade_for(_ticket(plant, Severity.GENERAL), Severity.SERIOUS)

    assert regrade == TicketRegrade(
        severity=Severity.SERIOUS, ticket_type=TicketType.EMERGENCY_REPAIR
    )


def test_a_regrade_carries_no_deadlines_so_those_of_the_opening_stay(plant: Plant) -> None:
    # SLA performance is measured against the deadlines that applied at opening.
    regrade = regrade_for(_ticket(plant, Severity.SERIOUS), Severity.MAJOR)

    assert regrade is not None
    assert [field.name for field in dataclasses.fields(regrade)] == ["severity", "ticket_type"]


def test_a_minor_ticket_turning_general_stays_a_general_fault(plant: Plant) -> None:
    regrade = regrade_for(_ticket(plant, Severity.MINOR), Severity.GENERAL)

    assert regrade == TicketRegrade(severity=Severity.GENERAL, ticket_type=TicketType.GENERAL_FAULT)


def test_a_milder_or_equal_grade_leaves_the_ticket_alone(plant: Plant) -> None:
    serious = _ticket(plant, Severity.SERIOUS)

    assert regrade_for(serious, Severity.GENERAL) is None
    assert regrade_for(serious, Severity.SERIOUS) is None


def test_a_repaired_ticket_is_not_regraded_and_the_note_says_why(plant: Plant) -> None:
    repaired = _ticket(plant, Severity.GENERAL, TicketStatus.REPAIRED)

    assert regrade_for(repaired, Severity.SERIOUS) is None
    assert unchanged_note(7, repaired, Severity.SERIOUS) == (
        "alert #7 worsened to serious; grade unchanged: "
        "the ticket is repaired; reopen it if the fault has returned"
    )


def test_a_type_a_person_chose_is_kept(plant: Plant) -> None:
    ticket = _ticket(plant, Severity.GENERAL)
    complaint = dataclasses.replace(
        ticket, draft=dataclasses.replace(ticket.draft, ticket_type=TicketType.COMPLAINT)
    )

    regrade = regrade_for(complaint, Severity.SERIOUS)

    assert regrade == TicketRegrade(severity=Severity.SERIOUS, ticket_type=TicketType.COMPLAINT)


def test_the_history_note_lists_the_changes_and_keeps_the_deadlines(plant: Plant) -> None:
    ticket = _ticket(plant, Severity.GENERAL)
    regrade = regrade_for(ticket, Severity.SERIOUS)
    assert regrade is not None

    assert escalation_note(7, ticket, regrade) == (
        "alert #7 worsened to serious: severity general -> serious; "
        "type general_fault -> emergency_repair; "
        "SLA deadlines unchanged (measured as at opening)"
    )


def test_the_history_note_leaves_out_a_type_that_did_not_change(plant: Plant) -> None:
    ticket = _ticket(plant, Severity.SERIOUS)
    regrade = regrade_for(ticket, Severity.MAJOR)
    assert regrade is not None

    assert escalation_note(7, ticket, regrade) == (
        "alert #7 worsened to major: severity serious -> major; "
        "SLA deadlines unchanged (measured as at opening)"
    )
