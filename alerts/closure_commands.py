"""Closing a ticket, each step in one transaction with its audit entry: the service
report, the customer's sign-off or refusal, the survey, the callback and the root
cause analysis.

Moves of the ticket itself (signed off, reopened) go through
``alerts.ticket_commands.move_ticket`` and so through the state machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from alerts import ticket_commands
from alerts.rca_rules import rca_gaps
from alerts.service_report_rules import MAY_FILE, check_report, editing_refusal
from alerts.ticket_lifecycle import Refusal, allowed_targets
from models.service_report import (
    BaselineReset,
    Callback,
    CapaAction,
    RootCauseAnalysis,
    ServiceReport,
    ServiceReportDraft,
    SignOff,
    Survey,
    SurveyAnswers,
)
from models.tickets import Ticket, TicketStatus
from models.users import Role, User
from storage import service_report_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

S = TicketStatus
MAY_SIGN = frozenset({Role.CUSTOMER, Role.DESK, Role.ADMIN})
MAY_ANSWER_SURVEY = frozenset({Role.CUSTOMER, Role.DESK, Role.ADMIN})
MAY_CALL_BACK = frozenset({Role.DESK, Role.SUPPORT, Role.ADMIN})
MAY_ANALYSE = frozenset({Role.SUPPORT, Role.DESK, Role.ADMIN})
# The survey follows the sign-off; the desk moves the ticket to "survey" when it asks.
SURVEY_IN = frozenset({S.SIGNED_OFF, S.SURVEY})
# The callback confirms a fix: the ticket has been repaired or resolved remotely.
CALLBACK_IN = frozenset(
    {S.REPAIRED, S.RESOLVED_REMOTELY, S.VERIFIED, S.SIGNED_OFF, S.SURVEY, S.REVIEWED, S.COMPLAINT}
)


class ClosureError(ValueError):
    """Input that cannot be accepted, in a sentence for the person who sent it."""


async def _locked(conn: Connection, ticket_id: int) -> Ticket | None:
    return await ticket_store.lock_ticket(conn, ticket_id=ticket_id)


def _refusal(ticket: Ticket, user: User, message: str) -> Refusal:
    return Refusal(message, allowed_targets(ticket_commands.position_of(ticket), user.role))


async def file_report(
    conn: Connection, *, ticket_id: int, draft: ServiceReportDraft, user: User, at: datetime
) -> ServiceReport | Refusal | None:
    """File the ticket's report as its next version; raises ReportError for a bad report.

    A report replacing a monitored part asks the detector for a new healthy baseline
    from the restore; a revision that replaces none any more withdraws that request.
    """
    async with conn.transaction():
        ticket = await _locked(conn, ticket_id)
        if ticket is None:
            return None
        refusal = editing_refusal(ticket)
        if user.role not in MAY_FILE:
            refusal = (
                f"filing a service report is for the engineer or the service desk, not {user.role}"
            )
        if refusal is not None:
            return _refusal(ticket, user, refusal)
        check_report(draft, ticket, now=at)
        stored = await service_report_store.insert_report(
            conn, ticket_id=ticket_id, draft=draft, by=user.login, role=user.role.value, at=at
        )
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="service_report",
            note=f"service report version {stored.version} filed",
            actor=user.login,
            field="report_version",
            old_value=str(stored.version - 1) if stored.version > 1 else None,
            new_value=str(stored.version),
        )
        await _baseline_request(conn, ticket, draft, user, at)
    return stored


async def _baseline_request(
    conn: Connection, ticket: Ticket, draft: ServiceReportDraft, user: User, at: datetime
) -> None:
    monitored = draft.monitored_parts
    if not monitored or draft.restored_at is None:
        await service_report_store.withdraw_baseline_reset(conn, ticket_id=ticket.id)
        return
    parts = ", ".join(f"{p.part_number} at {p.position}" for p in monitored)
    await service_report_store.request_baseline_reset(
        conn,
        reset=BaselineReset(ticket.id, ticket.draft.machine_id, draft.restored_at, parts, at),
    )
    await ticket_store.append_event(
        conn,
        ticket_id=ticket.id,
        at=at,
        kind="baseline_reset_requested",
        note=f"monitored parts replaced ({parts}): a new healthy baseline is learned"
        f" from the restore at {draft.restored_at.isoformat()}",
        actor=user.login,
    )


async def sign_off(
    conn: Connection,
    *,
    ticket_id: int,
    user: User,
    accepted: bool,
    comments: str,
    reason: str,
    signer_name: str,
    at: datetime,
) -> Ticket | Refusal | None:
    """The customer signs the verified ticket's report off, or refuses it with a reason.

    Signing off moves the ticket to signed off; a refusal reopens it. The desk may
    record either for the customer (on the phone, on paper): it is marked as such.
    """
    if not accepted and not reason.strip():
        raise ClosureError("a refusal needs a reason: what is not right yet")
    on_behalf = user.role is not Role.CUSTOMER
    if on_behalf and not signer_name.strip():
        raise ClosureError("signing for the customer needs signer_name: who signed or agreed")
    async with conn.transaction():
        ticket = await _locked(conn, ticket_id)
        if ticket is None:
            return None
        if ticket.status is not S.VERIFIED:
            return _refusal(
                ticket,
                user,
                f"the ticket is {ticket.status}: the customer signs off once it is verified",
            )
        report = await service_report_store.report(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        if report is None:
            return _refusal(ticket, user, "there is no service report to sign off yet")
        target = S.SIGNED_OFF if accepted else S.REOPENED
        note = comments.strip() if accepted else reason.strip()
        moved = await ticket_commands.move_ticket(
            conn,
            ticket_id=ticket_id,
            target=target,
            user=user,
            reason=f"{note} (signed by {signer_name.strip()})".strip() if on_behalf else note,
            expected_status=S.VERIFIED,
            at=at,
        )
        if not isinstance(moved, Ticket):
            return moved
        await service_report_store.insert_sign_off(
            conn,
            sign_off=SignOff(
                ticket_id=ticket_id,
                report_version=report.version,
                accepted=accepted,
                comments=comments.strip(),
                reason=reason.strip(),
                signer_name=signer_name.strip() or user.display_name,
                recorded_by=user.login,
                on_behalf=on_behalf,
                at=at,
            ),
        )
    return moved


async def _once(
    conn: Connection,
    *,
    user: User,
    kind: str,
    key: str | None,
    create: Callable[[], Awaitable[int]],
) -> tuple[int, bool]:
    """Run ``create`` unless this key made something before; (its id, whether new)."""
    if key is not None:
        earlier = await service_report_store.ref_for_key(conn, user_id=user.id, kind=kind, key=key)
        if earlier is not None:
            return earlier, False
    made = await create()
    if key is not None and not await service_report_store.remember_key(
        conn, user_id=user.id, kind=kind, key=key, ref_id=made
    ):
        raise ClosureError("another request with this Idempotency-Key is being handled: retry")
    return made, True


async def record_survey(
    conn: Connection,
    *,
    ticket_id: int,
    answers: SurveyAnswers,
    user: User,
    at: datetime,
    idempotency_key: str | None,
) -> tuple[Survey, bool] | Refusal | None:
    """Store the ticket's satisfaction survey: (it, whether new), a refusal, or None.

    The customer answers in the portal; the desk may record the answers given on the
    callback, marked as recorded on the customer's behalf.
    """
    async with conn.transaction():
        ticket = await _locked(conn, ticket_id)
        if ticket is None:
            return None
        on_behalf = user.role is not Role.CUSTOMER

        async def create() -> int:
            if ticket.status not in SURVEY_IN:
                message = f"the ticket is {ticket.status}: the survey follows the sign-off"
                raise _Refused(_refusal(ticket, user, message))
            survey = Survey(ticket_id, answers, user.login, on_behalf, at)
            if not await service_report_store.insert_survey(conn, survey=survey):
                raise _Refused(_refusal(ticket, user, "the survey was answered before"))
            by = " (recorded by the desk)" if on_behalf else ""
            await ticket_store.append_event(
                conn,
                ticket_id=ticket_id,
                at=at,
                kind="survey",
                note=f"satisfaction survey answered, overall {answers.overall} of 5{by}",
                actor=user.login,
            )
            return ticket_id

        try:
            made, created = await _once(
                conn, user=user, kind="survey", key=idempotency_key, create=create
            )
        except _Refused as refused:
            return refused.refusal
    if made != ticket_id:
        raise ClosureError("this Idempotency-Key was used for another ticket's survey")
    found = await service_report_store.survey(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert found is not None  # stored in this call or before
    return found, created


async def record_callback(
    conn: Connection,
    *,
    ticket_id: int,
    user: User,
    called_at: datetime,
    contact_name: str,
    problem_gone: bool,
    notes: str,
    at: datetime,
    idempotency_key: str | None,
) -> tuple[Callback, bool] | Refusal | None:
    """Record the desk's call after the fix: (it, whether new), a refusal, or None."""
    if called_at > at:
        raise ClosureError("called_at lies in the future")
    async with conn.transaction():
        ticket = await _locked(conn, ticket_id)
        if ticket is None:
            return None

        async def create() -> int:
            if ticket.status not in CALLBACK_IN:
                raise _Refused(
                    _refusal(
                        ticket,
                        user,
                        f"the ticket is {ticket.status}: the callback confirms a fix",
                    )
                )
            made = await service_report_store.insert_callback(
                conn,
                ticket_id=ticket_id,
                called_by=user.login,
                called_at=called_at,
                contact_name=contact_name.strip(),
                problem_gone=problem_gone,
                notes=notes.strip(),
            )
            gone = "the problem is gone" if problem_gone else "the problem is NOT gone"
            await ticket_store.append_event(
                conn,
                ticket_id=ticket_id,
                at=at,
                kind="callback",
                note=f"called {contact_name.strip() or 'the customer'}: {gone}. {notes.strip()}",
                actor=user.login,
            )
            return made.id

        try:
            callback_id, created = await _once(
                conn, user=user, kind="callback", key=idempotency_key, create=create
            )
        except _Refused as refused:
            return refused.refusal
    found = await service_report_store.callback(conn, callback_id=callback_id)
    assert found is not None  # stored in this call or before
    if found.ticket_id != ticket_id:
        raise ClosureError("this Idempotency-Key was used for another ticket's callback")
    return found, created


async def save_rca(
    conn: Connection,
    *,
    ticket_id: int,
    root_cause: str,
    method: str,
    actions: tuple[CapaAction, ...],
    user: User,
    at: datetime,
) -> RootCauseAnalysis | Refusal | None:
    """Record (or revise) the ticket's root cause analysis with its CAPA; raises
    ClosureError when it lacks the root cause or either kind of action."""
    async with conn.transaction():
        ticket = await _locked(conn, ticket_id)
        if ticket is None:
            return None
        if user.role not in MAY_ANALYSE:
            return _refusal(
                ticket, user, f"root cause analysis is for support or the desk, not {user.role}"
            )
        if ticket.status is S.ARCHIVED:
            return _refusal(
                ticket, user, "the ticket is archived: its analysis can no longer change"
            )
        rca = RootCauseAnalysis(
            ticket_id, root_cause.strip(), method.strip(), actions, user.login, at
        )
        gaps = rca_gaps(rca)
        if gaps:
            raise ClosureError(f"a root cause analysis needs {' and '.join(gaps)}")
        earlier = await service_report_store.rca(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        await service_report_store.save_rca(conn, rca=rca)
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="rca",
            note=f"root cause: {rca.root_cause}",
            actor=user.login,
            field="root_cause",
            old_value=earlier.root_cause if earlier else None,
            new_value=rca.root_cause,
        )
    return rca


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal
