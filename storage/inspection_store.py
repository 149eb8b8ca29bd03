"""Patrol inspections and their findings in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from models.inspections import Answer, Finding, Inspection, InspectionDraft
from models.plant import Severity
from storage.connections import Connection

_COLUMNS = "id, customer_id, site_id, line_id, template, inspected_at, inspector, answers"


async def insert_inspection(
    conn: Connection, *, draft: InspectionDraft, user_id: int, idempotency_key: str | None
) -> Inspection | None:
    """Store an inspection with its findings; None when the user's key stored one already."""
    cursor = await conn.execute(
        """
        INSERT INTO inspections (customer_id, site_id, line_id, template, inspected_at,
            inspector, answers, created_by, idem_key)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (created_by, idem_key) DO NOTHING
        RETURNING id
        """,
        (
            draft.customer_id,
            draft.site_id,
            draft.line_id,
            draft.template,
            draft.inspected_at,
            draft.inspector,
            Jsonb([{"item": a.item, "value": a.value, "note": a.note} for a in draft.answers]),
            user_id,
            idempotency_key,
        ),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    inspection_id = int(row[0])
    for finding in draft.findings:
        await conn.execute(
            """
            INSERT INTO inspection_findings (inspection_id, position, machine_id, severity,
                description, needs_work)
            VALUES (%s, %s, %s, %s, %s, %s)
            """,
            (
                inspection_id,
                finding.position,
                finding.machine_id,
                finding.severity.value,
                finding.description,
                finding.needs_work,
            ),
        )
    return Inspection(id=inspection_id, draft=draft)


async def inspection_for_key(
    conn: Connection, *, user_id: int, idempotency_key: str
) -> Inspection | None:
    cursor = await conn.execute(
        "SELECT id FROM inspections WHERE created_by = %s AND idem_key = %s",
        (user_id, idempotency_key),
    )
    row = await cursor.fetchone()
    return await get_inspection(conn, inspection_id=row[0]) if row is not None else None


async def get_inspection(conn: Connection, *, inspection_id: int) -> Inspection | None:
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM inspections WHERE id = %s", (inspection_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    findings = await _findings(conn, [inspection_id])
    return _inspection(row, findings.get(inspection_id, ()))


async def line_inspections(
    conn: Connection, *, line_id: str, limit: int, offset: int = 0
) -> list[Inspection]:
    """The line's inspections, newest first."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM inspections WHERE line_id = %s"
        " ORDER BY inspected_at DESC, id DESC LIMIT %s OFFSET %s",
        (line_id, limit, offset),
    )
    rows = await cursor.fetchall()
    findings = await _findings(conn, [r[0] for r in rows])
    return [_inspection(r, findings.get(r[0], ())) for r in rows]


async def lock_finding(conn: Connection, *, inspection_id: int, position: int) -> Finding | None:
    """Read a finding and hold it until the transaction ends (one ticket per finding)."""
    cursor = await conn.execute(
        "SELECT position, machine_id, severity, description, needs_work, ticket_id"
        " FROM inspection_findings WHERE inspection_id = %s AND position = %s FOR UPDATE",
        (inspection_id, position),
    )
    row = await cursor.fetchone()
    return _finding(row) if row is not None else None


async def set_finding_ticket(
    conn: Connection, *, inspection_id: int, position: int, ticket_id: int
) -> None:
    await conn.execute(
        "UPDATE inspection_findings SET ticket_id = %s WHERE inspection_id = %s AND position = %s",
        (ticket_id, inspection_id, position),
    )


async def _findings(
    conn: Connection, inspection_ids: Sequence[int]
) -> dict[int, tuple[Finding, ...]]:
    cursor = await conn.execute(
        "SELECT inspection_id, position, machine_id, severity, description, needs_work, ticket_id"
        " FROM inspection_findings WHERE inspection_id = ANY(%s) ORDER BY inspection_id, position",
        (list(inspection_ids),),
    )
    found: dict[int, list[Finding]] = {}
    for row in await cursor.fetchall():
        found.setdefault(row[0], []).append(_finding(row[1:]))
    return {k: tuple(v) for k, v in found.items()}


def _finding(row: Sequence[Any]) -> Finding:
    return Finding(
        position=row[0],
        machine_id=row[1],
        severity=Severity(row[2]),
        description=row[3],
        needs_work=row[4],
        ticket_id=row[5],
    )


def _inspection(row: Sequence[Any], findings: tuple[Finding, ...]) -> Inspection:
    return Inspection(
        id=row[0],
        draft=InspectionDraft(
            customer_id=row[1],
            site_id=row[2],
            line_id=row[3],
            template=row[4],
            inspected_at=row[5],
            inspector=row[6],
            answers=tuple(Answer(a["item"], a["value"], a.get("note", "")) for a in row[7]),
            findings=findings,
        ),
    )
