"""/api/v1/tickets/{id}/checklist: the maintenance checklist of a job, answered on site.

Staff read it on the ticket page, the engineer on their job; a customer gets 404 (it is
the vendor's work record; the service report tells them what was done), and so does
another engineer. Only the engineer the ticket is dispatched to, or an administrator,
answers an item (403 for other staff); answering waits for the work to begin and ends
with the customer's sign-off (409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status

from alerts.job_checklist_commands import (
    MAY_ANSWER,
    ChecklistError,
    ChecklistRefusal,
    answer_item,
    checklist_of,
)
from alerts.service_report_rules import editing_refusal
from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser
from api.schemas.job_checklist import (
    ChecklistAnswerBody,
    ChecklistItemAnsweredPublic,
    ChecklistItemPublic,
    JobChecklistPublic,
)
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.tickets import Ticket
from models.users import Role, User
from storage.connections import Connection

router = APIRouter(prefix="/tickets", tags=["maintenance"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
OccurrenceId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Position = Annotated[int, Path(ge=1, le=1000)]
_REFUSED: dict[int | str, dict[str, Any]] = {409: {"description": "not now, and why"}}


@router.get("/{ticket_id}/checklist")
async def get_checklist(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep
) -> JobChecklistPublic:
    """The ticket's maintenance tasks (empty unless a maintenance plan opened it), each
    with its duration, whether it stops the line, the skills and parts it needs, and its
    checklist with the answers so far."""
    ticket = await _readable_ticket(conn, user, ticket_id)
    return await checklist_state(conn, user, ticket)


@router.put("/{ticket_id}/checklist/{occurrence_id}/{position}", responses=_REFUSED)
async def answer_checklist_item(
    ticket_id: TicketId,
    occurrence_id: OccurrenceId,
    position: Position,
    body: ChecklistAnswerBody,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
) -> ChecklistItemAnsweredPublic:
    """Answer one item: ``ok``, ``not_ok`` (a finding; the note says what was found) or
    ``not_applicable`` (the note says why). The same answer again changes nothing."""
    await _readable_ticket(conn, user, ticket_id)
    if user.role not in MAY_ANSWER:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the checklist is answered by the field engineer on the job (or an administrator)",
        )
    await conn.commit()  # the command's transaction must be its own
    try:
        result = await answer_item(
            conn,
            ticket_id=ticket_id,
            occurrence_id=occurrence_id,
            position=position,
            item=body.item,
            outcome=body.outcome,
            note=body.note,
            user=user,
            at=now,
        )
    except ChecklistError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if result is None:
        raise not_found("checklist item", f"{occurrence_id}/{position}")
    if isinstance(result, ChecklistRefusal):
        raise HTTPException(status.HTTP_409_CONFLICT, f"Refused: {result.message}.")
    return ChecklistItemAnsweredPublic(
        ticket_id=ticket_id,
        occurrence_id=occurrence_id,
        item=ChecklistItemPublic.of(ticket_id, occurrence_id, result.item),
        changed=result.changed,
    )


async def checklist_state(conn: Connection, user: User, ticket: Ticket) -> JobChecklistPublic:
    """The checklist as ``user`` sees it, with whether they may answer now."""
    tasks = await checklist_of(conn, ticket_id=ticket.id)
    why_not = editing_refusal(ticket)
    if user.role not in MAY_ANSWER:
        why_not = "the checklist is answered by the field engineer on the job"
    return JobChecklistPublic.of(ticket.id, tasks, why_not=why_not)


async def _readable_ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    if user.role is Role.CUSTOMER:
        raise not_found("checklist of ticket", ticket_id)
    return await visible_ticket(conn, user, ticket_id)
