"""A complaint's handling: moves, what each needs, who makes them, and the answer deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.complaint_lifecycle import (
    ComplaintRefusal,
    allowed_targets,
    answer_due,
    answer_timing,
    apply_move,
    check_move,
)
from models.complaints import (
    AnswerTiming,
    Complaint,
    ComplaintCategory,
    ComplaintMove,
    ComplaintStatus,
)
from models.plant import Severity
from models.users import Role

C = ComplaintStatus
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def complaint(status: ComplaintStatus = C.REGISTERED, **changes: object) -> Complaint:
    base = Complaint(
        id=1,
        number="CP-2026-000001",
        status=status,
        customer_id="nordbrau",
        ticket_id=7,
        description="The engineer arrived a day late",
        contact_name="A. Brauer",
        severity=Severity.GENERAL,
        registered_by="nordbrau-lead",
        registered_at=T0,
        answer_due=answer_due(Severity.GENERAL, T0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_whole_handling_from_registration_to_closure() -> None:
    c = complaint()
    steps = [
        ComplaintMove(
            C.CLASSIFIED, category=ComplaintCategory.RESPONSE_TIME, severity=Severity.SERIOUS
        ),
        ComplaintMove(C.INVESTIGATING),
        ComplaintMove(C.ANSWERED, findings="the dispatch waited for parts", answer="sorry; ..."),
        ComplaintMove(C.FOLLOW_UP, note="customer wants a fixed arrival time"),
        ComplaintMove(C.ANSWERED, answer="we now confirm arrival times by phone"),
        ComplaintMove(C.CLOSED, note="customer satisfied on the call"),
    ]
    for hours, step in enumerate(steps, start=1):
        assert check_move(c, step, Role.DESK) is None, step
        c = apply_move(c, step, at=T0 + timedelta(hours=hours))
        assert c.status is step.target

    assert c.category is ComplaintCategory.RESPONSE_TIME and c.severity is Severity.SERIOUS
    # The first answer is the one measured against the committed time.
    assert c.answered_at == T0 + timedelta(hours=3)
    assert c.answer == "we now confirm arrival times by phone"
    assert c.findings == "the dispatch waited for parts"
    assert c.closed_at == T0 + timedelta(hours=6)


def test_classifying_needs_category_and_severity_and_resets_the_deadline() -> None:
    refusal = check_move(complaint(), ComplaintMove(C.CLASSIFIED), Role.DESK)
    assert isinstance(refusal, ComplaintRefusal)
    assert "a category and a severity" in refusal.message

    step = ComplaintMove(C.CLASSIFIED, category=ComplaintCategory.BILLING, severity=Severity.MAJOR)
    classified = apply_move(complaint(), step, at=T0 + timedelta(hours=5))
    assert classified.answer_due == T0 + timedelta(hours=24)  # from the registration


def test_answering_needs_findings_and_an_answer() -> None:
    c = complaint(C.INVESTIGATING)
    no_findings = check_move(c, ComplaintMove(C.ANSWERED, answer="fixed"), Role.SUPPORT)
    assert no_findings is not None and "findings" in no_findings.message
    no_answer = check_move(c, ComplaintMove(C.ANSWERED, findings="late dispatch"), Role.SUPPORT)
    assert no_answer is not None and "answer" in no_answer.message


@pytest.mark.parametrize(
    ("status", "target"),
    [(C.ANSWERED, C.CLOSED), (C.ANSWERED, C.FOLLOW_UP), (C.FOLLOW_UP, C.INVESTIGATING)],
)
def test_follow_up_and_closing_need_a_note(
    status: ComplaintStatus, target: ComplaintStatus
) -> None:
    refusal = check_move(complaint(status), ComplaintMove(target), Role.DESK)
    assert refusal is not None and "a note" in refusal.message
    assert check_move(complaint(status), ComplaintMove(target, note="called"), Role.DESK) is None


def test_a_move_that_does_not_exist_names_the_moves_that_do() -> None:
    refusal = check_move(complaint(), ComplaintMove(C.CLOSED, note="x"), Role.DESK)
    assert refusal == ComplaintRefusal(
        "a complaint that is registered cannot become closed", (C.CLASSIFIED,)
    )


def test_customers_register_and_read_but_do_not_move_complaints() -> None:
    step = ComplaintMove(C.CLASSIFIED, category=ComplaintCategory.OTHER, severity=Severity.MINOR)
    refusal = check_move(complaint(), step, Role.CUSTOMER)
    assert refusal is not None and "not customer" in refusal.message
    assert allowed_targets(C.REGISTERED, Role.CUSTOMER) == ()
    assert allowed_targets(C.CLOSED, Role.DESK) == ()
    assert allowed_targets(C.FOLLOW_UP, Role.DESK) == (C.INVESTIGATING, C.ANSWERED, C.CLOSED)


def test_the_answer_is_on_time_or_late_against_the_committed_time() -> None:
    due = T0 + timedelta(hours=72)
    assert answer_timing(complaint(), now=due) is AnswerTiming.PENDING
    assert answer_timing(complaint(), now=due + timedelta(seconds=1)) is AnswerTiming.OVERDUE
    assert (
        answer_timing(complaint(answered_at=due), now=due + timedelta(days=9))
        is AnswerTiming.ON_TIME
    )
    late = complaint(answered_at=due + timedelta(minutes=1))
    assert answer_timing(late, now=due) is AnswerTiming.LATE


def test_committed_times_by_grade() -> None:
    assert answer_due(Severity.MAJOR, T0) == T0 + timedelta(hours=24)
    assert answer_due(Severity.SERIOUS, T0) == T0 + timedelta(hours=48)
    assert answer_due(Severity.MINOR, T0) == T0 + timedelta(days=7)
