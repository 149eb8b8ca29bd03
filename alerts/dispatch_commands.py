"""Dispatching tickets to field engineers, their accepting the job, and the desk's owners.

Each command runs in one transaction with its audit entry. A dispatch moves the
ticket through the state machine (``ticket_commands.move_ticket``, so a refused
move is refused here too) and records the assignment with what to bring; it
replaces the assignment of an earlier visit. Sending a dispatched ticket to
someone else goes back to the desk first (classified, with a reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts import ticket_commands
from alerts.ticket_lifecycle import Refusal, allowed_targets
from models.dispatch import Assignment, DispatchInstructions
from models.tickets import Ticket, TicketStatus
from models.users import Role, User
from storage import dispatch_store, engineer_store, ticket_store, user_store
from storage.connections import Connection

# Who may own a ticket in the desk's queue.
OWNER_ROLES = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})


class DispatchError(Exception):
    """A dispatch or assignment that cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Dispatched:
    """The dispatched ticket and its assignment; ``created`` False for a repeated request."""

    ticket: Ticket
    assignment: Assignment
    created: bool


async def dispatch_ticket(
    conn: Connection,
    *,
    ticket_id: int,
    engineer_login: str,
    instructions: DispatchInstructions,
    user: User,
    at: datetime,
    idempotency_key: str | None,
) -> Dispatched | Refusal | None:
    """Dispatch the ticket to the engineer; the refusal if the move is not allowed, None if
    there is no ticket. Raises ``DispatchError`` for an engineer who cannot take it, or a
    key used before for another ticket. The same key again returns the first dispatch."""
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None:
            return None
        if idempotency_key is not None:
            earlier = await _earlier(conn, user, idempotency_key, ticket)
            if earlier is not None:
                return earlier
        engineer = await engineer_store.find_field_engineer(conn, login=engineer_login)
        if engineer is None:
            raise DispatchError(f"{engineer_login!r} is not an active field engineer")
        moved = await ticket_commands.move_ticket(
            conn,
            ticket_id=ticket_id,
            target=TicketStatus.DISPATCHED,
            user=user,
            reason=instructions.note,
            expected_status=None,
            at=at,
        )
        if moved is None or isinstance(moved, Refusal):
            return moved
        before = await dispatch_store.release_assignment(conn, ticket_id=ticket_id, at=at)
        assignment = await dispatch_store.record_assignment(
            conn,
            ticket_id=ticket_id,
            engineer_login=engineer.login,
            dispatched_by=user.login,
            at=at,
            instructions=instructions,
            idempotency_key=idempotency_key,
        )
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="dispatch",
            note=dispatch_note(engineer.display_name, instructions),
            actor=user.login,
            field="engineer",
            old_value=before,
            new_value=engineer.login,
        )
    return Dispatched(ticket=moved, assignment=assignment, created=True)


async def _earlier(conn: Connection, user: User, key: str, ticket: Ticket) -> Dispatched | None:
    earlier = await dispatch_store.assignment_by_key(
        conn, dispatched_by=user.login, idempotency_key=key
    )
    if earlier is None:
        return None
    if earlier.ticket_id != ticket.id:
        raise DispatchError("this Idempotency-Key was used for another ticket's dispatch")
    return Dispatched(ticket=ticket, assignment=earlier, created=False)


def dispatch_note(engineer_name: str, instructions: DispatchInstructions) -> str:
    """The history entry of a dispatch: to whom, what to bring, and the desk's note."""
    parts = ", ".join(f"{p.quantity} x {p.part_number}" for p in instructions.parts)
    lines = [f"dispatched to {engineer_name}"]
    if instructions.tools:
        lines.append(f"tools: {', '.join(instructions.tools)}")
    if parts:
        lines.append(f"parts: {parts}")
    if instructions.note.strip():
        lines.append(instructions.note.strip())
    return "; ".join(lines)


async def accept_job(
    conn: Connection, *, ticket_id: int, user: User, at: datetime
) -> Assignment | Refusal | None:
    """The engineer accepts the job dispatched to them; None when it is not theirs.

    Accepting twice keeps the first time; a job no longer waiting to be taken up (the
    engineer is already en route, say) is refused.
    """
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        assignment = await dispatch_store.current_assignment(conn, ticket_id=ticket_id)
        if ticket is None or assignment is None or assignment.engineer_login != user.login:
            return None
        if assignment.accepted_at is not None:
            return assignment
        if ticket.status is not TicketStatus.DISPATCHED:
            allowed = allowed_targets(ticket_commands.position_of(ticket), user.role)
            return Refusal(
                f"a job is accepted while it is dispatched, and this one is {ticket.status}",
                allowed,
            )
        await dispatch_store.accept_assignment(conn, assignment_id=assignment.id, at=at)
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="accepted",
            note=f"{user.display_name} accepted the job",
            actor=user.login,
            field="accepted_at",
            new_value=at.isoformat(),
        )
        accepted = await dispatch_store.current_assignment(conn, ticket_id=ticket_id)
    assert accepted is not None  # locked and changed in this transaction
    return accepted


@dataclass(frozen=True, slots=True)
class OwnerResult:
    """What became of one ticket in a bulk assignment: ``error`` says why it failed."""

    ticket_id: int
    owner: str | None
    previous_owner: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def assign_owner(
    conn: Connection, *, ticket_ids: Sequence[int], owner: str, user: User, at: datetime
) -> list[OwnerResult]:
    """Make ``owner`` the owner of each ticket, each in its own transaction, so one that
    fails (missing, archived) does not hold back the rest. Raises ``DispatchError`` when
    the owner is not an active desk, support or admin user."""
    account = await user_store.find_account(conn, login=owner)
    if account is None or not account.active or account.user.role not in OWNER_ROLES:
        raise DispatchError(f"{owner!r} is not an active desk, support or admin user")
    return [await _assign_one(conn, ticket_id, owner, user, at) for ticket_id in ticket_ids]


async def _assign_one(
    conn: Connection, ticket_id: int, owner: str, user: User, at: datetime
) -> OwnerResult:
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None:
            return OwnerResult(ticket_id, None, error=f"ticket {ticket_id} not found")
        if ticket.status is TicketStatus.ARCHIVED:
            return OwnerResult(ticket_id, None, error=f"{ticket.number} is archived")
        previous = await dispatch_store.set_owner(
            conn, ticket_id=ticket_id, owner=owner, by=user.login, at=at
        )
        if previous != owner:
            await ticket_store.append_event(
                conn,
                ticket_id=ticket_id,
                at=at,
                kind="owner",
                note=f"assigned to {owner} by {user.login}",
                actor=user.login,
                field="owner",
                old_value=previous,
                new_value=owner,
            )
    return OwnerResult(ticket_id, owner, previous_owner=previous)
