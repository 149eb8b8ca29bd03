"""The ticket lifecycle as a state machine: which moves exist, and who may make them. Pure.

The main path and side paths are those of DOMAIN.md ("Ticket lifecycle"). A move
is refused when it does not exist from the current state, when the user's role
may not make it, when it needs a reason and none is given, or when the ticket
changes the line's structure or key parameters and the technical lead has not
approved it. A refusal names the moves that are open instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from models.tickets import Milestones, TicketStatus
from models.users import Role

S = TicketStatus
_STAFF = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})
_DESK = frozenset({Role.DESK, Role.ADMIN})
_SUPPORT = frozenset({Role.SUPPORT, Role.ADMIN})
_FIELD = frozenset({Role.FIELD_ENGINEER, Role.DESK, Role.ADMIN})
_CUSTOMER_OR_DESK = frozenset({Role.CUSTOMER, Role.DESK, Role.ADMIN})
_ANYONE_WORKING = frozenset({Role.DESK, Role.SUPPORT, Role.FIELD_ENGINEER, Role.ADMIN})

# States the customer may be waiting in for something they must provide; leaving
# it returns the ticket to where it was.
_MAY_WAIT_FOR_CUSTOMER = (
    S.REGISTERED,
    S.CLASSIFIED,
    S.REMOTE_DIAGNOSIS,
    S.DISPATCHED,
    S.ON_SITE,
    S.REOPENED,
    S.ESCALATED,
)
# Once the fault is fixed, the customer may complain about how it went.
_AFTER_FIX = (S.REPAIRED, S.RESOLVED_REMOTELY, S.VERIFIED, S.SIGNED_OFF, S.SURVEY, S.REVIEWED)

# Moves that finish work which might change the line: they wait for the approval.
_NEEDS_APPROVAL = frozenset({S.DISPATCHED, S.RESOLVED_REMOTELY, S.REPAIRED})


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move: from a state to another, by these roles, with a reason or not."""

    source: TicketStatus
    target: TicketStatus
    roles: frozenset[Role]
    needs_reason: bool = False


def _moves(
    sources: Iterable[TicketStatus],
    target: TicketStatus,
    roles: frozenset[Role],
    *,
    needs_reason: bool = False,
) -> list[Transition]:
    return [Transition(source, target, roles, needs_reason) for source in sources]


TRANSITIONS: tuple[Transition, ...] = tuple(
    [
        # Classification is the desk's first response; a duplicate or withdrawn
        # request is archived with its reason.
        *_moves([S.REGISTERED, S.REOPENED], S.CLASSIFIED, _STAFF),
        *_moves([S.REGISTERED, S.CLASSIFIED], S.ARCHIVED, _DESK, needs_reason=True),
        *_moves([S.CLASSIFIED, S.REOPENED, S.ESCALATED], S.REMOTE_DIAGNOSIS, _STAFF),
        *_moves(
            [S.CLASSIFIED, S.REMOTE_DIAGNOSIS, S.REOPENED, S.ESCALATED, S.WAITING_FOR_PARTS],
            S.DISPATCHED,
            _STAFF,
        ),
        # A dispatch that must go to someone else goes back to the desk.
        *_moves([S.DISPATCHED, S.EN_ROUTE], S.CLASSIFIED, _DESK, needs_reason=True),
        *_moves([S.DISPATCHED], S.EN_ROUTE, _FIELD),
        *_moves([S.DISPATCHED, S.EN_ROUTE, S.WAITING_FOR_PARTS], S.ON_SITE, _FIELD),
        *_moves([S.ON_SITE], S.REPAIRED, _FIELD),
        *_moves([S.REMOTE_DIAGNOSIS, S.ESCALATED], S.RESOLVED_REMOTELY, _SUPPORT),
        *_moves(
            [S.REMOTE_DIAGNOSIS, S.ON_SITE, S.DISPATCHED], S.WAITING_FOR_PARTS, _ANYONE_WORKING
        ),
        *_moves(_MAY_WAIT_FOR_CUSTOMER, S.WAITING_FOR_CUSTOMER, _ANYONE_WORKING, needs_reason=True),
        # Beyond the engineer's skill: to the technical support centre.
        *_moves(
            [S.CLASSIFIED, S.REMOTE_DIAGNOSIS, S.DISPATCHED, S.ON_SITE, S.REOPENED],
            S.ESCALATED,
            _ANYONE_WORKING,
            needs_reason=True,
        ),
        # Verified with the customer on the callback; the customer signs off or refuses.
        *_moves([S.REPAIRED, S.RESOLVED_REMOTELY], S.VERIFIED, _STAFF),
        *_moves([S.VERIFIED], S.SIGNED_OFF, _CUSTOMER_OR_DESK),
        *_moves(
            [S.REPAIRED, S.RESOLVED_REMOTELY, S.VERIFIED, S.SIGNED_OFF, S.SURVEY],
            S.REOPENED,
            _CUSTOMER_OR_DESK | _SUPPORT,
            needs_reason=True,
        ),
        *_moves([S.SIGNED_OFF], S.SURVEY, _DESK),
        *_moves([S.SURVEY, S.SIGNED_OFF, S.COMPLAINT], S.REVIEWED, _STAFF),
        *_moves([S.REVIEWED], S.ARCHIVED, _DESK),
        *_moves(_AFTER_FIX, S.COMPLAINT, _CUSTOMER_OR_DESK, needs_reason=True),
        *_moves([S.COMPLAINT], S.REOPENED, _DESK | _SUPPORT, needs_reason=True),
    ]
)


@dataclass(frozen=True, slots=True)
class TicketPosition:
    """What the state machine needs to know of a ticket."""

    status: TicketStatus
    # Where a ticket waiting for the customer goes back to when they answer.
    resume_status: TicketStatus | None = None
    needs_change_approval: bool = False
    change_approved: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a move was refused, in a sentence, and what may be done instead."""

    message: str
    allowed: tuple[TicketStatus, ...]


def transitions_from(position: TicketPosition) -> list[Transition]:
    """Every move that exists from where the ticket stands, whoever may make it."""
    moves = [t for t in TRANSITIONS if t.source is position.status]
    if position.status is S.WAITING_FOR_CUSTOMER and position.resume_status is not None:
        # The customer answered: back to where the ticket was, by whoever works it.
        moves.append(Transition(S.WAITING_FOR_CUSTOMER, position.resume_status, _ANYONE_WORKING))
        moves.append(Transition(S.WAITING_FOR_CUSTOMER, S.ARCHIVED, _DESK, needs_reason=True))
    return moves


def allowed_targets(position: TicketPosition, role: Role) -> tuple[TicketStatus, ...]:
    """The states this role may move the ticket to now, in lifecycle order."""
    targets = {t.target for t in transitions_from(position) if role in t.roles}
    return tuple(s for s in TicketStatus if s in targets)


def check_transition(
    position: TicketPosition, target: TicketStatus, role: Role, *, reason: str
) -> Refusal | None:
    """None when ``role`` may move the ticket to ``target`` now, else why not."""
    allowed = allowed_targets(position, role)
    move = next((t for t in transitions_from(position) if t.target is target), None)
    if move is None:
        return Refusal(f"a ticket that is {position.status} cannot become {target}", allowed)
    if role not in move.roles:
        who = ", ".join(sorted(r.value for r in move.roles))
        return Refusal(
            f"moving a {position.status} ticket to {target} is for {who}, not {role}", allowed
        )
    if move.needs_reason and not reason.strip():
        return Refusal(f"moving a ticket to {target} needs a reason", allowed)
    if (
        target in _NEEDS_APPROVAL
        and position.needs_change_approval
        and not position.change_approved
    ):
        return Refusal(
            "this ticket changes the line's structure or key parameters:"
            f" the technical lead must approve it before it becomes {target}",
            allowed,
        )
    return None


def resume_status_after(position: TicketPosition, target: TicketStatus) -> TicketStatus | None:
    """The state to come back to after waiting for the customer; kept while waiting."""
    if target is S.WAITING_FOR_CUSTOMER:
        return position.status
    return None


def milestones_after(milestones: Milestones, target: TicketStatus, *, at: datetime) -> Milestones:
    """The SLA milestones once a person moves the ticket to ``target`` at ``at``.

    The first move a person makes is the response. On site is the arrival; repaired
    or resolved remotely (a workaround counts) is the resolution, and a remote fix
    needs no visit. A reopened ticket is not resolved any more: its resolution clock
    runs again against the deadline of the opening.
    """
    result = milestones
    if result.responded_at is None:
        result = replace(result, responded_at=at)
    if target is S.ON_SITE and result.arrived_at is None:
        result = replace(result, arrived_at=at)
    if target in (S.REPAIRED, S.RESOLVED_REMOTELY) and result.resolved_at is None:
        result = replace(result, resolved_at=at)
    if target is S.RESOLVED_REMOTELY and result.arrived_at is None:
        result = replace(result, arrival_needed=False)
    if target is S.REOPENED:
        result = replace(result, resolved_at=None, arrival_needed=True)
    return result
