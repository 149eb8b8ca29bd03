"""A complaint's handling as a small state machine, and its answer deadline. Pure.

registered → classified (category and grade) → investigating → answered (findings
and the answer, measured against the committed time) → closed once the customer is
satisfied; a customer not yet satisfied sends it to follow up, from where it is
answered again or investigated again. Customers register and read complaints;
moving them is the service department's work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from models.complaints import (
    ANSWER_WITHIN,
    AnswerTiming,
    Complaint,
    ComplaintMove,
    ComplaintStatus,
)
from models.plant import Severity
from models.users import Role

C = ComplaintStatus
HANDLERS = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})

# Each move and whether it needs a note saying why.
_MOVES: dict[tuple[ComplaintStatus, ComplaintStatus], bool] = {
    (C.REGISTERED, C.CLASSIFIED): False,
    (C.CLASSIFIED, C.INVESTIGATING): False,
    (C.INVESTIGATING, C.ANSWERED): False,
    (C.ANSWERED, C.FOLLOW_UP): True,
    (C.FOLLOW_UP, C.ANSWERED): False,
    (C.FOLLOW_UP, C.INVESTIGATING): True,
    (C.ANSWERED, C.CLOSED): True,
    (C.FOLLOW_UP, C.CLOSED): True,
}


@dataclass(frozen=True, slots=True)
class ComplaintRefusal:
    """Why a move was refused, and the states the complaint may move to instead."""

    message: str
    allowed: tuple[ComplaintStatus, ...]


def answer_due(severity: Severity, registered_at: datetime) -> datetime:
    """The committed time to answer a complaint of this grade registered then."""
    return registered_at + ANSWER_WITHIN[severity]


def allowed_targets(status: ComplaintStatus, role: Role) -> tuple[ComplaintStatus, ...]:
    """Where this role may move a complaint in ``status``, in lifecycle order."""
    if role not in HANDLERS:
        return ()
    targets = {target for source, target in _MOVES if source is status}
    return tuple(s for s in ComplaintStatus if s in targets)


def check_move(complaint: Complaint, move: ComplaintMove, role: Role) -> ComplaintRefusal | None:
    """None when ``role`` may make ``move`` now, else why not."""
    allowed = allowed_targets(complaint.status, role)
    key = (complaint.status, move.target)
    if key not in _MOVES:
        return ComplaintRefusal(
            f"a complaint that is {complaint.status} cannot become {move.target}", allowed
        )
    if role not in HANDLERS:
        return ComplaintRefusal(f"handling complaints is for admin, desk, support, not {role}", ())
    missing = _missing(complaint, move, needs_note=_MOVES[key])
    if missing:
        return ComplaintRefusal(f"a complaint that becomes {move.target} needs {missing}", allowed)
    return None


def _missing(complaint: Complaint, move: ComplaintMove, *, needs_note: bool) -> str | None:
    if needs_note and not move.note.strip():
        return "a note saying why (how the customer responded)"
    if move.target is C.CLASSIFIED and (move.category is None or move.severity is None):
        return "a category and a severity"
    if move.target is C.ANSWERED:
        if not (move.findings.strip() or complaint.findings.strip()):
            return "the findings of the investigation"
        if not move.answer.strip():
            return "the answer given to the customer"
    return None


def apply_move(complaint: Complaint, move: ComplaintMove, *, at: datetime) -> Complaint:
    """The complaint after a checked move at ``at``; the first answer is what is timed."""
    moved = replace(complaint, status=move.target)
    if move.target is C.CLASSIFIED:
        assert move.category is not None and move.severity is not None  # check_move
        moved = replace(
            moved,
            category=move.category,
            severity=move.severity,
            answer_due=answer_due(move.severity, complaint.registered_at),
        )
    if move.findings.strip():
        moved = replace(moved, findings=move.findings.strip())
    if move.target is C.ANSWERED:
        moved = replace(
            moved,
            answer=move.answer.strip(),
            answered_at=complaint.answered_at or at,
        )
    if move.target is C.CLOSED:
        moved = replace(moved, closed_at=at)
    return moved


def answer_timing(complaint: Complaint, *, now: datetime) -> AnswerTiming:
    """Whether the complaint was answered by its committed time, or is still in time."""
    if complaint.answered_at is not None:
        on_time = complaint.answered_at <= complaint.answer_due
        return AnswerTiming.ON_TIME if on_time else AnswerTiming.LATE
    return AnswerTiming.PENDING if now <= complaint.answer_due else AnswerTiming.OVERDUE
