"""/api/v1/tickets/{id}/report, /sign-off, /survey, /callbacks and /rca: closing a ticket.

A ticket of another customer answers 404 on every path, like a missing one. A
step the ticket's state does not allow answers 409 with the message and the moves
open instead, in the shape of the ticket transitions; bad input answers 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response, status

from alerts import closure_commands, ticket_closure
from alerts.closure_commands import ClosureError
from alerts.job_checklist_commands import checklist_of
from alerts.rca_rules import rca_gaps
from alerts.report_part_bookings import file_report_booking_parts
from alerts.service_report_rules import MAY_FILE, ReportError, editing_refusal
from alerts.stock_ledger_rules import Refusal as StockRefusal
from alerts.ticket_lifecycle import Refusal
from api.access_scope import not_found, scope_of
from api.deps import ConnDep, CurrentUser
from api.people_names import people_names
from api.schemas.service_reports import (
    AfterVisitPublic,
    CallbackCreate,
    CallbackPublic,
    RcaStatePublic,
    RcaWrite,
    ReportPublic,
    ReportStatePublic,
    ReportWrite,
    SignOffOutcome,
    SignOffPublic,
    SignOffRequest,
    SurveyCreate,
    SurveyPublic,
)
from api.schemas.tickets import RefusalPublic
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.job_checklist import filing_refusal
from models.tickets import Ticket, TicketStatus
from models.users import Role, User
from storage import service_report_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope

router = APIRouter(prefix="/tickets", tags=["service closure"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
_REFUSED: dict[int | str, dict[str, Any]] = {409: {"model": RefusalPublic}}


@router.get("/{ticket_id}/report")
async def get_report(
    ticket_id: TicketId,
    user: CurrentUser,
    conn: ConnDep,
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> ReportStatePublic:
    """The newest report (or ``version``), whether it may still change, and the sign-offs."""
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _report_state(conn, ticket, version, user)


@router.put("/{ticket_id}/report", responses=_REFUSED)
async def file_report(
    ticket_id: TicketId, body: ReportWrite, user: CurrentUser, conn: ConnDep, now: NowDep
) -> ReportStatePublic:
    """File the report as a new version (engineer, support, desk); editable until signed off.

    Filing does not move the ticket: "repaired" stays its own move. A replaced part
    marked ``monitored`` makes the detector learn a new baseline from ``restored_at``.
    The parts list books its stock movements in the same transaction (issue, installation,
    removal, return, scrap; see ``PartIn``); a movement the stock refuses answers 409 with
    the reason, and nothing is filed.

    A ticket a maintenance plan opened is filed once every item of its checklist is
    answered (OK, not OK, or not applicable with the reason): 409 names the open items.
    """
    await visible_ticket(conn, user, ticket_id)
    _require(user, MAY_FILE, "filing a service report")
    checklist_gap = filing_refusal(await checklist_of(conn, ticket_id=ticket_id))
    if checklist_gap is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"Refused: {checklist_gap}.")
    await conn.commit()  # the command's transaction must be its own
    try:
        result = await file_report_booking_parts(
            conn, ticket_id=ticket_id, draft=body.draft(), user=user, at=now
        )
    except ReportError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if isinstance(result, StockRefusal):
        raise HTTPException(status.HTTP_409_CONFLICT, f"Refused: {result.message}.")
    await _refuse_if_refused(conn, user, ticket_id, result)
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _report_state(conn, ticket, None, user)


@router.post("/{ticket_id}/sign-off", responses=_REFUSED)
async def sign_off(
    ticket_id: TicketId, body: SignOffRequest, user: CurrentUser, conn: ConnDep, now: NowDep
) -> SignOffOutcome:
    """The customer signs off the verified ticket's report, or refuses with a reason
    (the ticket is reopened). The desk may record it for them, with ``signer_name``."""
    await visible_ticket(conn, user, ticket_id)
    _require(user, closure_commands.MAY_SIGN, "signing off a service report")
    await conn.commit()
    try:
        result = await closure_commands.sign_off(
            conn,
            ticket_id=ticket_id,
            user=user,
            accepted=body.accepted,
            comments=body.comments,
            reason=body.reason,
            signer_name=body.signer_name,
            at=now,
        )
    except ClosureError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    await _refuse_if_refused(conn, user, ticket_id, result)
    assert isinstance(result, Ticket)
    signed = await service_report_store.sign_offs(conn, ticket_id=ticket_id, scope=scope_of(user))
    names = await people_names(conn, user, [signed[-1].recorded_by])
    return SignOffOutcome(
        ticket_id=ticket_id, status=result.status, sign_off=SignOffPublic.of(signed[-1], names)
    )


@router.get("/{ticket_id}/survey")
async def get_survey(ticket_id: TicketId, user: CurrentUser, conn: ConnDep) -> AfterVisitPublic:
    """The satisfaction survey (null until answered) and the callbacks made."""
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _after_visit(conn, ticket, user)


@router.post("/{ticket_id}/survey", status_code=status.HTTP_201_CREATED, responses=_REFUSED)
async def answer_survey(
    ticket_id: TicketId,
    body: SurveyCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> SurveyPublic:
    """The customer answers the survey after the sign-off, or the desk records their
    answers from the callback; 200 with the same survey for a repeated Idempotency-Key."""
    await visible_ticket(conn, user, ticket_id)
    _require(user, closure_commands.MAY_ANSWER_SURVEY, "answering the survey")
    await conn.commit()
    try:
        result = await closure_commands.record_survey(
            conn,
            ticket_id=ticket_id,
            answers=body.answers(),
            user=user,
            at=now,
            idempotency_key=idempotency_key,
        )
    except ClosureError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    await _refuse_if_refused(conn, user, ticket_id, result)
    assert isinstance(result, tuple)
    survey, created = result
    if not created:
        response.status_code = status.HTTP_200_OK
    return SurveyPublic.of(survey, await people_names(conn, user, [survey.recorded_by]))


@router.post("/{ticket_id}/callbacks", status_code=status.HTTP_201_CREATED, responses=_REFUSED)
async def record_callback(
    ticket_id: TicketId,
    body: CallbackCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> CallbackPublic:
    """The desk's call after the fix: whether the problem is gone; 200 with the same
    callback for a repeated Idempotency-Key."""
    await visible_ticket(conn, user, ticket_id)
    _require(user, closure_commands.MAY_CALL_BACK, "recording a callback")
    await conn.commit()
    try:
        result = await closure_commands.record_callback(
            conn,
            ticket_id=ticket_id,
            user=user,
            called_at=body.called_at or now,
            contact_name=body.contact_name,
            problem_gone=body.problem_gone,
            notes=body.notes,
            at=now,
            idempotency_key=idempotency_key,
        )
    except ClosureError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    await _refuse_if_refused(conn, user, ticket_id, result)
    assert isinstance(result, tuple)
    callback, created = result
    if not created:
        response.status_code = status.HTTP_200_OK
    return CallbackPublic.of(callback, await people_names(conn, user, [callback.called_by]))


@router.get("/{ticket_id}/rca")
async def get_rca(ticket_id: TicketId, user: CurrentUser, conn: ConnDep) -> RcaStatePublic:
    """Whether the ticket needs a root cause analysis before archiving and why, and the
    analysis recorded. Internal: not for customers."""
    ticket = await visible_ticket(conn, user, ticket_id)
    _require(user, closure_commands.MAY_ANALYSE, "the root cause analysis")
    return await _rca_state(conn, ticket, scope_of(user))


@router.put("/{ticket_id}/rca", responses=_REFUSED)
async def save_rca(
    ticket_id: TicketId, body: RcaWrite, user: CurrentUser, conn: ConnDep, now: NowDep
) -> RcaStatePublic:
    """Record or revise the root cause analysis with its corrective and preventive actions."""
    await visible_ticket(conn, user, ticket_id)
    _require(user, closure_commands.MAY_ANALYSE, "the root cause analysis")
    await conn.commit()
    try:
        result = await closure_commands.save_rca(
            conn,
            ticket_id=ticket_id,
            root_cause=body.root_cause,
            method=body.method,
            actions=body.actions(),
            user=user,
            at=now,
        )
    except ClosureError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    await _refuse_if_refused(conn, user, ticket_id, result)
    ticket = await visible_ticket(conn, user, ticket_id)
    return await _rca_state(conn, ticket, scope_of(user))


def _require(user: User, roles: frozenset[Role], what: str) -> None:
    if user.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{what} is not for a {user.role}")


async def _refuse_if_refused(
    conn: Connection, user: User, ticket_id: int, result: object | None
) -> None:
    """404 for a ticket gone, 409 in the transitions' shape for a refusal; else nothing."""
    if result is None:
        raise not_found("ticket", ticket_id)
    if isinstance(result, Refusal):
        current = await visible_ticket(conn, user, ticket_id)
        refusal = RefusalPublic(
            message=f"Refused: {result.message}.",
            status=current.status,
            allowed_next=list(result.allowed),
        )
        raise HTTPException(status.HTTP_409_CONFLICT, detail=refusal.model_dump(mode="json"))


async def _report_state(
    conn: Connection, ticket: Ticket, version: int | None, user: User
) -> ReportStatePublic:
    scope = scope_of(user)
    report = await service_report_store.report(
        conn, ticket_id=ticket.id, version=version, scope=scope
    )
    if version is not None and report is None:
        raise not_found("report version", version)
    signed = await service_report_store.sign_offs(conn, ticket_id=ticket.id, scope=scope)
    named = [s.recorded_by for s in signed] + ([report.filed_by] if report else [])
    names = await people_names(conn, user, named)
    why_not = editing_refusal(ticket)
    return ReportStatePublic(
        ticket_id=ticket.id,
        status=ticket.status,
        report=ReportPublic.of(report, names) if report else None,
        versions=await service_report_store.report_versions(conn, ticket_id=ticket.id, scope=scope),
        editable=why_not is None,
        not_editable_because=why_not,
        sign_off_requested=ticket.status is TicketStatus.VERIFIED,
        sign_offs=[SignOffPublic.of(s, names) for s in signed],
    )


async def _after_visit(conn: Connection, ticket: Ticket, user: User) -> AfterVisitPublic:
    scope = scope_of(user)
    survey = await service_report_store.survey(conn, ticket_id=ticket.id, scope=scope)
    calls = await service_report_store.callbacks(conn, ticket_id=ticket.id, scope=scope)
    named = [c.called_by for c in calls] + ([survey.recorded_by] if survey else [])
    names = await people_names(conn, user, named)
    return AfterVisitPublic(
        ticket_id=ticket.id,
        status=ticket.status,
        survey=SurveyPublic.of(survey, names) if survey else None,
        callbacks=[CallbackPublic.of(c, names) for c in calls],
    )


async def _rca_state(conn: Connection, ticket: Ticket, scope: CustomerScope) -> RcaStatePublic:
    requirement = await ticket_closure.rca_requirement_of(conn, ticket=ticket)
    rca = await service_report_store.rca(conn, ticket_id=ticket.id, scope=scope)
    blocked = requirement.required and (rca is None or bool(rca_gaps(rca)))
    return RcaStatePublic.of(ticket.id, requirement, rca, blocked=blocked)
