"""What people do to a ticket, each in one transaction with its audit entry.

A command locks the ticket row, checks the move against the state machine
(``alerts.ticket_lifecycle``), stores the result and appends who did what, from
what to what. Two people moving one ticket at once queue on the row lock: the
second sees the first one's result, and a move that no longer fits, or that
named the state it expected and found another, is refused.
"""

from __future__ import annotations

from datetime import datetime

from alerts import knowledge_proposals, ticket_closure, ticket_part_reservations
from alerts.ticket_lifecycle import (
    Refusal,
    TicketPosition,
    allowed_targets,
    check_transition,
    milestones_after,
    resume_status_after,
)
from models.tickets import Ticket, TicketStatus
from models.users import Role, User
from storage import dispatch_store, ticket_store, ticket_workflow_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

# Who may say that a ticket changes the line, and who approves it (the technical lead).
_MAY_FLAG_CHANGE = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})
_MAY_APPROVE_CHANGE = frozenset({Role.SUPPORT, Role.ADMIN})


def position_of(ticket: Ticket) -> TicketPosition:
    """What the state machine needs to know of a stored ticket."""
    return TicketPosition(
        status=ticket.status,
        resume_status=ticket.work.resume_status,
        needs_change_approval=ticket.work.needs_change_approval,
        change_approved=ticket.work.change_approved_by is not None,
    )


async def works_on(conn: Connection, *, ticket_id: int, user: User) -> bool:
    """Whether the user may work the ticket: a field engineer only their own jobs (tickets
    currently dispatched to them), everyone else any ticket they can see."""
    if user.role is not Role.FIELD_ENGINEER:
        return True
    return await dispatch_store.is_assigned_to(conn, ticket_id=ticket_id, login=user.login)


async def move_ticket(
    conn: Connection,
    *,
    ticket_id: int,
    target: TicketStatus,
    user: User,
    reason: str,
    expected_status: TicketStatus | None,
    at: datetime,
) -> Ticket | Refusal | None:
    """Move the ticket to ``target``; the refusal if not allowed, None if there is no ticket
    (or it is another field engineer's job)."""
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None or not await works_on(conn, ticket_id=ticket_id, user=user):
            return None
        position = position_of(ticket)
        if expected_status is not None and expected_status is not ticket.status:
            return Refusal(
                f"the ticket is {ticket.status} now, not {expected_status}:"
                " someone else moved it meanwhile",
                allowed_targets(position, user.role),
            )
        refusal = check_transition(position, target, user.role, reason=reason)
        if refusal is not None:
            return refusal
        if target is TicketStatus.ARCHIVED:
            blocker = await ticket_closure.archive_blocker_of(conn, ticket=ticket)
            if blocker is not None:
                return Refusal(blocker, allowed_targets(position, user.role))
        await ticket_workflow_store.set_status(
            conn,
            ticket_id=ticket_id,
            status=target,
            resume_status=resume_status_after(position, target),
            milestones=milestones_after(ticket.work.milestones, target, at=at),
        )
        if ticket.status is TicketStatus.WAITING_FOR_CUSTOMER:
            await ticket_workflow_store.end_pause(conn, ticket_id=ticket_id, at=at)
        if target is TicketStatus.WAITING_FOR_CUSTOMER:
            await ticket_workflow_store.start_pause(conn, ticket_id=ticket_id, at=at)
        if target is TicketStatus.CLASSIFIED:
            # Back at the desk to be dispatched anew: the engineer it was with loses it.
            await dispatch_store.release_assignment(conn, ticket_id=ticket_id, at=at)
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="transition",
            note=reason.strip(),
            actor=user.login,
            field="status",
            old_value=ticket.status.value,
            new_value=target.value,
        )
        if target is TicketStatus.VERIFIED:
            await ticket_closure.note_sign_off_requested(conn, ticket=ticket, at=at)
        if target in (TicketStatus.REVIEWED, TicketStatus.ARCHIVED):
            await knowledge_proposals.propose_after_review(conn, ticket_id=ticket_id, at=at)
        if target is TicketStatus.ARCHIVED:  # parts held and not used go back on the shelf
            await ticket_part_reservations.release_unused(
                conn, ticket_id=ticket_id, actor=user.login, at=at
            )
        moved = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert moved is not None  # locked and changed in this transaction
    return moved


async def set_change_approval(
    conn: Connection,
    *,
    ticket_id: int,
    user: User,
    needed: bool,
    approve: bool,
    note: str,
    at: datetime,
) -> Ticket | Refusal | None:
    """Flag a ticket as changing the line's structure or key parameters, or approve it.

    Flagging is for the desk and support; approving is the technical lead's (support
    or admin) and needs no separate flag.
    """
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=ticket_id)
        if ticket is None:
            return None
        allowed = allowed_targets(position_of(ticket), user.role)
        may = _MAY_APPROVE_CHANGE if approve else _MAY_FLAG_CHANGE
        if user.role not in may:
            what = "approving a change to the line" if approve else "flagging a change"
            return Refusal(f"{what} is for {', '.join(sorted(may))}, not {user.role}", allowed)
        approved_by = user.login if approve else ticket.work.change_approved_by
        needs = needed or approve
        if not needs:
            approved_by = None
        await ticket_workflow_store.set_change_approval(
            conn, ticket_id=ticket_id, needed=needs, approved_by=approved_by
        )
        field, old, new = (
            ("change_approved_by", ticket.work.change_approved_by, approved_by)
            if approve
            else (
                "needs_change_approval",
                str(ticket.work.needs_change_approval).lower(),
                str(needs).lower(),
            )
        )
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="change_approval" if approve else "change_flag",
            note=note.strip(),
            actor=user.login,
            field=field,
            old_value=old,
            new_value=new,
        )
        changed = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert changed is not None
    return changed
