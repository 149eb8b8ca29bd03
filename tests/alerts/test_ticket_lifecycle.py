"""The ticket state machine: allowed moves by role, refusals that say what is open instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.ticket_lifecycle import (
    TicketPosition,
    allowed_targets,
    check_transition,
    milestones_after,
    resume_status_after,
)
from models.tickets import Milestones
from models.tickets import TicketStatus as S
from models.users import Role

HAPPY_PATH = [
    (S.REGISTERED, S.CLASSIFIED, Role.DESK),
    (S.CLASSIFIED, S.REMOTE_DIAGNOSIS, Role.SUPPORT),
    (S.REMOTE_DIAGNOSIS, S.DISPATCHED, Role.DESK),
    (S.DISPATCHED, S.EN_ROUTE, Role.FIELD_ENGINEER),
    (S.EN_ROUTE, S.ON_SITE, Role.FIELD_ENGINEER),
    (S.ON_SITE, S.REPAIRED, Role.FIELD_ENGINEER),
    (S.REPAIRED, S.VERIFIED, Role.DESK),
    (S.VERIFIED, S.SIGNED_OFF, Role.CUSTOMER),
    (S.SIGNED_OFF, S.SURVEY, Role.DESK),
    (S.SURVEY, S.REVIEWED, Role.SUPPORT),
    (S.REVIEWED, S.ARCHIVED, Role.DESK),
]


@pytest.mark.parametrize(("source", "target", "role"), HAPPY_PATH)
def test_the_main_path_is_open_to_the_role_that_works_it(source: S, target: S, role: Role) -> None:
    assert check_transition(TicketPosition(source), target, role, reason="") is None


def test_a_move_that_does_not_exist_names_the_moves_that_do() -> None:
    refusal = check_transition(TicketPosition(S.REGISTERED), S.REPAIRED, Role.DESK, reason="")

    assert refusal is not None
    assert refusal.message == "a ticket that is registered cannot become repaired"
    assert refusal.allowed == (S.CLASSIFIED, S.ARCHIVED, S.WAITING_FOR_CUSTOMER)


def test_a_customer_cannot_classify_and_has_nothing_to_do_yet() -> None:
    refusal = check_transition(TicketPosition(S.REGISTERED), S.CLASSIFIED, Role.CUSTOMER, reason="")

    assert refusal is not None
    assert "is for admin, desk, support, not customer" in refusal.message
    assert refusal.allowed == ()


def test_refusing_the_sign_off_needs_a_reason_and_reopens() -> None:
    verified = TicketPosition(S.VERIFIED)

    without = check_transition(verified, S.REOPENED, Role.CUSTOMER, reason=" ")
    with_reason = check_transition(
        verified, S.REOPENED, Role.CUSTOMER, reason="still leaking at station 2"
    )

    assert without is not None and without.message == "moving a ticket to reopened needs a reason"
    assert with_reason is None


def test_waiting_for_the_customer_returns_to_where_the_ticket_was() -> None:
    diagnosing = TicketPosition(S.REMOTE_DIAGNOSIS)
    resume = resume_status_after(diagnosing, S.WAITING_FOR_CUSTOMER)
    waiting = TicketPosition(S.WAITING_FOR_CUSTOMER, resume_status=resume)

    assert resume is S.REMOTE_DIAGNOSIS
    assert allowed_targets(waiting, Role.SUPPORT) == (S.REMOTE_DIAGNOSIS,)
    assert allowed_targets(waiting, Role.DESK) == (S.REMOTE_DIAGNOSIS, S.ARCHIVED)


def test_a_change_to_the_line_waits_for_the_technical_lead() -> None:
    retrofit = TicketPosition(S.CLASSIFIED, needs_change_approval=True)
    approved = TicketPosition(S.CLASSIFIED, needs_change_approval=True, change_approved=True)

    refusal = check_transition(retrofit, S.DISPATCHED, Role.DESK, reason="")

    assert refusal is not None and "technical lead must approve" in refusal.message
    assert check_transition(approved, S.DISPATCHED, Role.DESK, reason="") is None
    assert check_transition(retrofit, S.REMOTE_DIAGNOSIS, Role.DESK, reason="") is None


def test_nothing_leaves_the_archive() -> None:
    for role in Role:
        assert allowed_targets(TicketPosition(S.ARCHIVED), role) == ()


def test_a_complaint_after_the_fix_is_handled_and_reviewed() -> None:
    assert (
        check_transition(
            TicketPosition(S.SIGNED_OFF), S.COMPLAINT, Role.CUSTOMER, reason="engineer was late"
        )
        is None
    )
    assert allowed_targets(TicketPosition(S.COMPLAINT), Role.DESK) == (S.REVIEWED, S.REOPENED)


def test_milestones_follow_the_moves() -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    start = Milestones()

    classified = milestones_after(start, S.CLASSIFIED, at=t0)
    on_site = milestones_after(classified, S.ON_SITE, at=t0 + timedelta(hours=5))
    repaired = milestones_after(on_site, S.REPAIRED, at=t0 + timedelta(hours=7))
    reopened = milestones_after(repaired, S.REOPENED, at=t0 + timedelta(hours=9))

    assert classified.responded_at == t0
    assert on_site.arrived_at == t0 + timedelta(hours=5)
    assert repaired.resolved_at == t0 + timedelta(hours=7)
    assert repaired.responded_at == t0
    assert reopened.resolved_at is None and reopened.arrived_at == on_site.arrived_at


def test_a_remote_fix_needs_no_visit() -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    fixed = milestones_after(Milestones(responded_at=t0), S.RESOLVED_REMOTELY, at=t0)

    assert fixed.resolved_at == t0 and not fixed.arrival_needed
