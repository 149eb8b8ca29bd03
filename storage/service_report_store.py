"""Closing tickets in the database: report versions, sign-offs, surveys, callbacks,
root cause analyses, baseline reset requests and idempotency keys of the closure.

Callers lock the ticket first (``ticket_store.lock_ticket``) when they write, and
record the audit entry with ``ticket_store.append_event`` in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.service_report import (
    BaselineReset,
    Callback,
    CapaAction,
    CapaKind,
    Measurement,
    RcaSubject,
    ReplacedPart,
    RootCauseAnalysis,
    ServiceReport,
    ServiceReportDraft,
    SignOff,
    Survey,
    SurveyAnswers,
)
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

# The first wall: a read of a ticket's records names the ticket and its customer.
_TICKET_IN_SCOPE = scope_filter("ticket", "ticket_id")

_REPORT_COLUMNS = """
    ticket_id, version, filed_by, filed_by_role, filed_at, symptoms, diagnosis, root_cause,
    actions_taken, state_before, state_after, failure_at, arrived_at, restored_at,
    remaining_issues, advice
"""


async def insert_report(
    conn: Connection, *, ticket_id: int, draft: ServiceReportDraft, by: str, role: str, at: datetime
) -> ServiceReport:
    """Store the draft as the ticket's next report version, with its measurements and parts."""
    cursor = await conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM service_reports WHERE ticket_id = %s",
        (ticket_id,),
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always returns a row
    version = int(row[0])
    await conn.execute(
        f"INSERT INTO service_reports ({_REPORT_COLUMNS})"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            ticket_id,
            version,
            by,
            role,
            at,
            draft.symptoms,
            draft.diagnosis,
            draft.root_cause,
            draft.actions_taken,
            draft.state_before,
            draft.state_after,
            draft.failure_at,
            draft.arrived_at,
            draft.restored_at,
            draft.remaining_issues,
            draft.advice,
        ),
    )
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO service_report_measurements"
            " (ticket_id, version, position, name, value, unit) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (ticket_id, version, i, m.name, m.value, m.unit)
                for i, m in enumerate(draft.measurements)
            ],
        )
        await cur.executemany(
            "INSERT INTO service_report_parts (ticket_id, version, line_no, part_number, serial,"
            " quantity, position, monitored, removed_serial, failure_reason, issued_from,"
            " returned_to, scrapped)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    ticket_id,
                    version,
                    i,
                    p.part_number,
                    p.serial,
                    p.quantity,
                    p.position,
                    p.monitored,
                    p.removed_serial,
                    p.failure_reason,
                    p.issued_from,
                    p.returned_to,
                    p.scrapped,
                )
                for i, p in enumerate(draft.parts)
            ],
        )
    return ServiceReport(ticket_id, version, by, role, at, draft)


async def report(
    conn: Connection,
    *,
    ticket_id: int,
    version: int | None = None,
    scope: CustomerScope,
) -> ServiceReport | None:
    """A version of the ticket's report (None: the newest), or None when there is none or
    the ticket is outside the scope."""
    cursor = await conn.execute(
        f"SELECT {_REPORT_COLUMNS} FROM service_reports WHERE ticket_id = %(ticket)s"
        " AND (%(version)s::integer IS NULL OR version = %(version)s)"
        f" AND {_TICKET_IN_SCOPE} ORDER BY version DESC LIMIT 1",
        {"ticket": ticket_id, "version": version, **scope.params},
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    found = int(row[1])
    cursor = await conn.execute(
        "SELECT name, value, unit FROM service_report_measurements"
        " WHERE ticket_id = %s AND version = %s ORDER BY position",
        (ticket_id, found),
    )
    measurements = tuple(Measurement(*m) for m in await cursor.fetchall())
    cursor = await conn.execute(
        "SELECT part_number, serial, quantity, position, monitored, removed_serial,"
        " failure_reason, issued_from, returned_to, scrapped FROM service_report_parts"
        " WHERE ticket_id = %s AND version = %s ORDER BY line_no",
        (ticket_id, found),
    )
    parts = tuple(ReplacedPart(*p) for p in await cursor.fetchall())
    return _report(row, measurements, parts)


def _report(
    row: tuple[Any, ...], measurements: tuple[Measurement, ...], parts: tuple[ReplacedPart, ...]
) -> ServiceReport:
    draft = ServiceReportDraft(
        symptoms=row[5],
        diagnosis=row[6],
        root_cause=row[7],
        actions_taken=row[8],
        state_before=row[9],
        state_after=row[10],
        failure_at=row[11],
        arrived_at=row[12],
        restored_at=row[13],
        remaining_issues=row[14],
        advice=row[15],
        measurements=measurements,
        parts=parts,
    )
    return ServiceReport(row[0], row[1], row[2], row[3], row[4], draft)


async def insert_sign_off(conn: Connection, *, sign_off: SignOff) -> None:
    await conn.execute(
        "INSERT INTO ticket_sign_offs (ticket_id, report_version, accepted, comments, reason,"
        " signer_name, recorded_by, on_behalf, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            sign_off.ticket_id,
            sign_off.report_version,
            sign_off.accepted,
            sign_off.comments,
            sign_off.reason,
            sign_off.signer_name,
            sign_off.recorded_by,
            sign_off.on_behalf,
            sign_off.at,
        ),
    )


async def sign_offs(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> list[SignOff]:
    """Every answer the customer gave to the ticket's reports, oldest first; none for a
    ticket outside the scope."""
    cursor = await conn.execute(
        "SELECT ticket_id, report_version, accepted, comments, reason, signer_name, recorded_by,"
        f" on_behalf, at FROM ticket_sign_offs WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE}"
        " ORDER BY at, id",
        {"ticket": ticket_id, **scope.params},
    )
    return [SignOff(*row) for row in await cursor.fetchall()]


async def insert_survey(conn: Connection, *, survey: Survey) -> bool:
    """Store the ticket's survey; False when it had been answered before."""
    a = survey.answers
    cursor = await conn.execute(
        "INSERT INTO ticket_surveys (ticket_id, attitude, response_speed, technical_skill,"
        " effectiveness, overall, comments, recorded_by, on_behalf, answered_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            survey.ticket_id,
            a.attitude,
            a.response_speed,
            a.technical_skill,
            a.effectiveness,
            a.overall,
            a.comments,
            survey.recorded_by,
            survey.on_behalf,
            survey.answered_at,
        ),
    )
    return cursor.rowcount == 1


async def survey(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> Survey | None:
    """The ticket's survey; None when unanswered or the ticket is outside the scope."""
    cursor = await conn.execute(
        "SELECT attitude, response_speed, technical_skill, effectiveness, overall, comments,"
        " recorded_by, on_behalf, answered_at FROM ticket_surveys"
        f" WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE}",
        {"ticket": ticket_id, **scope.params},
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return Survey(ticket_id, SurveyAnswers(*row[:6]), row[6], row[7], row[8])


async def insert_callback(
    conn: Connection,
    *,
    ticket_id: int,
    called_by: str,
    called_at: datetime,
    contact_name: str,
    problem_gone: bool,
    notes: str,
) -> Callback:
    cursor = await conn.execute(
        "INSERT INTO ticket_callbacks (ticket_id, called_by, called_at, contact_name,"
        " problem_gone, notes) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (ticket_id, called_by, called_at, contact_name, problem_gone, notes),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT ... RETURNING of one row
    return Callback(int(row[0]), ticket_id, called_by, called_at, contact_name, problem_gone, notes)


async def callbacks(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> list[Callback]:
    """The ticket's callbacks, oldest first; none for a ticket outside the scope."""
    cursor = await conn.execute(
        "SELECT id, ticket_id, called_by, called_at, contact_name, problem_gone, notes"
        f" FROM ticket_callbacks WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE}"
        " ORDER BY called_at, id",
        {"ticket": ticket_id, **scope.params},
    )
    return [Callback(*row) for row in await cursor.fetchall()]


async def callback(conn: Connection, *, callback_id: int) -> Callback | None:
    cursor = await conn.execute(
        "SELECT id, ticket_id, called_by, called_at, contact_name, problem_gone, notes"
        " FROM ticket_callbacks WHERE id = %s",
        (callback_id,),
    )
    row = await cursor.fetchone()
    return Callback(*row) if row else None


async def save_rca(conn: Connection, *, rca: RootCauseAnalysis) -> None:
    """Store the ticket's root cause analysis, replacing an earlier one and its actions."""
    await conn.execute("DELETE FROM ticket_rca_actions WHERE ticket_id = %s", (rca.ticket_id,))
    await conn.execute(
        "INSERT INTO ticket_rca (ticket_id, root_cause, method, analysed_by, analysed_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO UPDATE SET"
        " root_cause = excluded.root_cause, method = excluded.method,"
        " analysed_by = excluded.analysed_by, analysed_at = excluded.analysed_at",
        (rca.ticket_id, rca.root_cause, rca.method, rca.analysed_by, rca.analysed_at),
    )
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO ticket_rca_actions (ticket_id, kind, line_no, action, owner, due_on)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (rca.ticket_id, a.kind.value, i, a.action, a.owner, a.due_on)
                for i, a in enumerate(rca.actions)
            ],
        )


async def rca(
    conn: Connection, *, ticket_id: int, scope: CustomerScope
) -> RootCauseAnalysis | None:
    """The ticket's root cause analysis; None when there is none or the ticket is outside
    the scope (its actions are read only behind that first row)."""
    cursor = await conn.execute(
        "SELECT root_cause, method, analysed_by, analysed_at FROM ticket_rca"
        f" WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE}",
        {"ticket": ticket_id, **scope.params},
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    cursor = await conn.execute(
        "SELECT kind, action, owner, due_on FROM ticket_rca_actions WHERE ticket_id = %s"
        " ORDER BY kind, line_no",
        (ticket_id,),
    )
    actions = tuple(
        CapaAction(CapaKind(kind), action, owner, due)
        for kind, action, owner, due in await cursor.fetchall()
    )
    return RootCauseAnalysis(ticket_id, row[0], row[1], actions, row[2], row[3])


async def rca_subjects(
    conn: Connection, *, machine_id: str, since: datetime, until: datetime
) -> list[RcaSubject]:
    """The machine's tickets received in ``[since, until]`` with their PLC fault codes
    (from the stops that reached them) and the signals that drove them, oldest first."""
    cursor = await conn.execute(
        """
        SELECT t.id, t.number, t.machine_id, t.severity, t.received_at, t.signals,
            t.channel = 'automatic_warning' OR t.alert_id IS NOT NULL,
            coalesce(array_agg(DISTINCT e.new_value::integer)
                FILTER (WHERE e.new_value ~ '^-?[0-9]+$'), '{}')
        FROM tickets t
        LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.kind = 'machine_stop'
            AND e.field = 'fault_code'
        WHERE t.machine_id = %s AND t.received_at BETWEEN %s AND %s
        GROUP BY t.id ORDER BY t.received_at, t.id
        """,
        (machine_id, since, until),
    )
    return [
        RcaSubject(
            ticket_id=row[0],
            number=row[1],
            machine_id=row[2],
            severity=row[3],
            received_at=row[4],
            signals=frozenset(row[5]),
            from_warning=bool(row[6]),
            fault_codes=frozenset(row[7]),
        )
        for row in await cursor.fetchall()
    ]


async def request_baseline_reset(conn: Connection, *, reset: BaselineReset) -> None:
    """Ask for a new baseline from the restore; one request per ticket, the newest report's."""
    await conn.execute(
        "INSERT INTO baseline_resets (ticket_id, machine_id, since, parts, requested_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO UPDATE SET"
        " since = excluded.since, parts = excluded.parts, requested_at = excluded.requested_at",
        (reset.ticket_id, reset.machine_id, reset.since, reset.parts, reset.requested_at),
    )


async def withdraw_baseline_reset(conn: Connection, *, ticket_id: int) -> None:
    """A revised report that replaces no monitored part any more asks for no new baseline."""
    await conn.execute("DELETE FROM baseline_resets WHERE ticket_id = %s", (ticket_id,))


async def latest_baseline_reset(conn: Connection, *, machine_id: str) -> BaselineReset | None:
    """The machine's newest request for a new healthy baseline, by its restore time."""
    cursor = await conn.execute(
        "SELECT ticket_id, machine_id, since, parts, requested_at FROM baseline_resets"
        " WHERE machine_id = %s ORDER BY since DESC LIMIT 1",
        (machine_id,),
    )
    row = await cursor.fetchone()
    return BaselineReset(*row) if row else None


async def baseline_learned(conn: Connection, *, machine_id: str, since: datetime) -> bool:
    """Whether a model version of the machine was trained only on running from ``since``."""
    cursor = await conn.execute(
        "SELECT 1 FROM condition_models WHERE machine_id = %s AND trained_from >= %s LIMIT 1",
        (machine_id, since),
    )
    return await cursor.fetchone() is not None


async def baseline_reset_of(conn: Connection, *, ticket_id: int) -> BaselineReset | None:
    """The ticket's request for a new baseline, if its report asks for one."""
    cursor = await conn.execute(
        "SELECT ticket_id, machine_id, since, parts, requested_at FROM baseline_resets"
        " WHERE ticket_id = %s",
        (ticket_id,),
    )
    row = await cursor.fetchone()
    return BaselineReset(*row) if row else None


async def ref_for_key(conn: Connection, *, user_id: int, kind: str, key: str) -> int | None:
    """What a creation of ``kind`` with this idempotency key made before, if it did."""
    cursor = await conn.execute(
        "SELECT ref_id FROM closure_idempotency_keys WHERE user_id = %s AND kind = %s AND key = %s",
        (user_id, kind, key),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else None


async def remember_key(conn: Connection, *, user_id: int, kind: str, key: str, ref_id: int) -> bool:
    """Tie the key to what it made; False when a concurrent request took the key first."""
    cursor = await conn.execute(
        "INSERT INTO closure_idempotency_keys (user_id, kind, key, ref_id)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (user_id, kind, key, ref_id),
    )
    return cursor.rowcount == 1


async def report_versions(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> int:
    """How many versions of the ticket's report were filed (0: none yet, or the ticket is
    outside the scope)."""
    cursor = await conn.execute(
        f"SELECT count(*) FROM service_reports WHERE ticket_id = %(ticket)s AND {_TICKET_IN_SCOPE}",
        {"ticket": ticket_id, **scope.params},
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always returns a row
    return int(row[0])
