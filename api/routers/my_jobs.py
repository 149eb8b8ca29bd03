"""/api/v1/my-jobs: the signed-in field engineer's jobs, and accepting one.

A job is a ticket currently dispatched to them, from dispatched until the desk
verifies the repair. They move it with ``POST /api/v1/tickets/{id}/transitions``
(en route, on site, repaired); accepting is recorded on the assignment. Another
engineer's job answers 404, like a missing id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from alerts import dispatch_commands, ticket_commands
from alerts.ticket_lifecycle import Refusal, allowed_targets
from alerts.ticket_sla import ticket_clocks
from api.access_scope import not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.dispatch_orders import dispatch_order, refusal_response
from api.pagination import PageDep, page_of
from api.routers.job_checklist import checklist_state
from api.schemas.dispatch import MyJobPublic
from api.schemas.job_checklist import MyJobFullPublic
from api.schemas.part_suggestions import MyJobWithPartsPublic
from api.schemas.tickets import RefusalPublic
from api.ticket_clock import NowDep
from models.dispatch import OPEN_JOB_STATUSES
from models.tickets import TicketStatus
from models.users import Role, User
from storage import dispatch_store, ticket_store, ticket_workflow_store
from storage.part_suggestion_queries import ticket_part_movements

router = APIRouter(prefix="/my-jobs", tags=["dispatch"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# The jobs an engineer sees: in the field, waiting, or repaired and not yet verified
# (they still write the service report).
MY_JOB_STATUSES = OPEN_JOB_STATUSES | {
    TicketStatus.REPAIRED,
    TicketStatus.WAITING_FOR_CUSTOMER,
    TicketStatus.ESCALATED,
}


@router.get("")
async def my_jobs(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[MyJobFullPublic]:
    """The engineer's jobs, the most urgent arrival first, a page at a time (``Link``).

    Each job has its dispatch order, SLA clocks, the moves they may make now, the parts
    to bring (what the ticket holds reserved, by store), the parts used (issued on it)
    and, for planned maintenance, the tasks with their checklists to answer (``PUT``
    each item's ``answer_url``)."""
    _engineer_only(user)
    found = await dispatch_store.jobs_of(
        conn,
        login=user.login,
        statuses=MY_JOB_STATUSES,
        limit=page.fetch_limit,
        offset=page.offset,
    )
    jobs = page_of(found, page, request, response)
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[j.ticket_id for j in jobs])
    answer = []
    for job in jobs:
        ticket = await ticket_store.get_ticket(conn, ticket_id=job.ticket_id, scope=scope_of(user))
        assert ticket is not None  # an assignment's ticket is never deleted
        order = await dispatch_order(conn, plant, ticket, job)
        job_public = MyJobPublic.of(
            order,
            clocks=ticket_clocks(ticket, plant, waits=waits.get(ticket.id, []), now=now),
            allowed_next=allowed_targets(ticket_commands.position_of(ticket), user.role),
        )
        movements = await ticket_part_movements(conn, ticket_id=ticket.id)
        with_parts = MyJobWithPartsPublic.with_parts(job_public, movements)
        checklist = await checklist_state(conn, user, ticket)
        answer.append(MyJobFullPublic.with_checklist(with_parts, checklist))
    return answer


@router.post("/{ticket_id}/accept", responses={409: {"model": RefusalPublic}})
async def accept_job(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep, now: NowDep
) -> MyJobPublic:
    """Accept the job (while it is dispatched); accepting again changes nothing."""
    _engineer_only(user)
    await conn.commit()  # the command's transaction must be its own
    result = await dispatch_commands.accept_job(conn, ticket_id=ticket_id, user=user, at=now)
    if result is None:
        raise not_found("job", ticket_id)
    if isinstance(result, Refusal):
        raise await refusal_response(conn, result, ticket_id, scope_of(user))
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=scope_of(user))
    assert ticket is not None  # the command found it
    waits = await ticket_workflow_store.pauses_of(conn, ticket_ids=[ticket_id])
    return MyJobPublic.of(
        await dispatch_order(conn, plant, ticket, result),
        clocks=ticket_clocks(ticket, plant, waits=waits.get(ticket_id, []), now=now),
        allowed_next=allowed_targets(ticket_commands.position_of(ticket), user.role),
    )


def _engineer_only(user: User) -> None:
    if user.role is Role.CUSTOMER:
        raise not_found("resource", "my-jobs")
    if user.role is not Role.FIELD_ENGINEER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "my jobs are for field engineers")
