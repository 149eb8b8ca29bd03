"""Maintenance plans, overrides and task occurrences in the database, and machine usage
read from the stored OEE results (running time and counted parts per shift)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from models.maintenance import (
    MaintenancePlan,
    Occurrence,
    OccurrenceStatus,
    PlannedWindow,
    TaskOverride,
    Usage,
)
from models.oee import OeeScope
from storage.connections import Connection

_OCCURRENCE_COLUMNS = """
    id, machine_id, line_id, task_key, sequence, due_at, window_start, window_end,
    stops_line, ticket_id, opened_at, status, closed_at, closed_by, skip_reason,
    production_notice_at
"""


async def import_plans(
    conn: Connection, *, plans: Sequence[MaintenancePlan], at: datetime
) -> list[str]:
    """Store plans of models that have none yet (edits made through the API stay);
    returns the machine models imported."""
    imported = []
    for plan in plans:
        cursor = await conn.execute(
            "INSERT INTO maintenance_plans (machine_model, plan, updated_at, updated_by)"
            " VALUES (%s, %s, %s, NULL) ON CONFLICT (machine_model) DO NOTHING RETURNING 1",
            (plan.machine_model, Jsonb(plan.model_dump(mode="json")), at),
        )
        if await cursor.fetchone() is not None:
            imported.append(plan.machine_model)
    return imported


async def save_plan(
    conn: Connection, *, plan: MaintenancePlan, at: datetime, by: str
) -> MaintenancePlan:
    """Create or replace a machine model's plan."""
    await conn.execute(
        """
        INSERT INTO maintenance_plans (machine_model, plan, updated_at, updated_by)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (machine_model)
        DO UPDATE SET plan = EXCLUDED.plan, updated_at = EXCLUDED.updated_at,
                      updated_by = EXCLUDED.updated_by
        """,
        (plan.machine_model, Jsonb(plan.model_dump(mode="json")), at, by),
    )
    return plan


async def list_plans(conn: Connection) -> list[MaintenancePlan]:
    cursor = await conn.execute("SELECT plan FROM maintenance_plans ORDER BY machine_model")
    return [MaintenancePlan.model_validate(row[0]) for row in await cursor.fetchall()]


async def plan_for(conn: Connection, *, machine_model: str) -> MaintenancePlan | None:
    cursor = await conn.execute(
        "SELECT plan FROM maintenance_plans WHERE machine_model = %s", (machine_model,)
    )
    row = await cursor.fetchone()
    return MaintenancePlan.model_validate(row[0]) if row is not None else None


async def list_overrides(
    conn: Connection, *, machine_ids: Sequence[str], limit: int | None = None, offset: int = 0
) -> list[TaskOverride]:
    """The machines' overrides by machine and task; ``limit`` None: all of them."""
    cursor = await conn.execute(
        "SELECT machine_id, task_key, interval, disabled, reason, updated_by"
        " FROM maintenance_overrides WHERE machine_id = ANY(%s) ORDER BY machine_id, task_key"
        " LIMIT %s OFFSET %s",
        (list(machine_ids), limit, offset),
    )
    return [
        TaskOverride(
            machine_id=r[0],
            task_key=r[1],
            interval=r[2],
            disabled=r[3],
            reason=r[4],
            updated_by=r[5],
        )
        for r in await cursor.fetchall()
    ]


async def put_override(conn: Connection, *, override: TaskOverride, at: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO maintenance_overrides
            (machine_id, task_key, interval, disabled, reason, updated_at, updated_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (machine_id, task_key)
        DO UPDATE SET interval = EXCLUDED.interval, disabled = EXCLUDED.disabled,
                      reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at,
                      updated_by = EXCLUDED.updated_by
        """,
        (
            override.machine_id,
            override.task_key,
            override.interval,
            override.disabled,
            override.reason,
            at,
            override.updated_by,
        ),
    )


async def delete_override(conn: Connection, *, machine_id: str, task_key: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM maintenance_overrides WHERE machine_id = %s AND task_key = %s",
        (machine_id, task_key),
    )
    return cursor.rowcount > 0


async def tracked_since(
    conn: Connection, *, machine_id: str, task_key: str, now: datetime
) -> datetime:
    """When the machine came under the task; the first call starts tracking at ``now``."""
    await conn.execute(
        "INSERT INTO maintenance_tracking (machine_id, task_key, tracked_since)"
        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (machine_id, task_key, now),
    )
    cursor = await conn.execute(
        "SELECT tracked_since FROM maintenance_tracking WHERE machine_id = %s AND task_key = %s",
        (machine_id, task_key),
    )
    row = await cursor.fetchone()
    assert row is not None  # inserted above or before
    since: datetime = row[0]
    return since


async def latest_occurrence(
    conn: Connection, *, machine_id: str, task_key: str
) -> Occurrence | None:
    """The task's newest occurrence on the machine, open or closed."""
    cursor = await conn.execute(
        f"SELECT {_OCCURRENCE_COLUMNS} FROM maintenance_occurrences"
        " WHERE machine_id = %s AND task_key = %s ORDER BY sequence DESC LIMIT 1",
        (machine_id, task_key),
    )
    row = await cursor.fetchone()
    return _occurrence(row) if row is not None else None


async def insert_occurrence(
    conn: Connection,
    *,
    machine_id: str,
    line_id: str,
    task_key: str,
    sequence: int,
    due_at: datetime,
    window: tuple[datetime, datetime],
    stops_line: bool,
    opened_at: datetime,
) -> Occurrence | None:
    """Claim an occurrence; None when it exists already (another worker took it)."""
    cursor = await conn.execute(
        f"""
        INSERT INTO maintenance_occurrences (machine_id, line_id, task_key, sequence, due_at,
            window_start, window_end, stops_line, opened_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT DO NOTHING
        RETURNING {_OCCURRENCE_COLUMNS}
        """,
        (machine_id, line_id, task_key, sequence, due_at, *window, stops_line, opened_at),
    )
    row = await cursor.fetchone()
    return _occurrence(row) if row is not None else None


async def attach_ticket(conn: Connection, *, occurrence_id: int, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE maintenance_occurrences SET ticket_id = %s WHERE id = %s",
        (ticket_id, occurrence_id),
    )


async def mark_production_notice(conn: Connection, *, occurrence_id: int, at: datetime) -> bool:
    """Record that production was told; False when it was already (another worker)."""
    cursor = await conn.execute(
        "UPDATE maintenance_occurrences SET production_notice_at = %s"
        " WHERE id = %s AND production_notice_at IS NULL",
        (at, occurrence_id),
    )
    return cursor.rowcount > 0


async def close_occurrence(
    conn: Connection,
    *,
    occurrence_id: int,
    status: OccurrenceStatus,
    at: datetime,
    by: str | None,
    reason: str | None = None,
) -> Occurrence | None:
    """Mark an open occurrence done or skipped; None when it is not open any more."""
    cursor = await conn.execute(
        f"""
        UPDATE maintenance_occurrences
        SET status = %s, closed_at = %s, closed_by = %s, skip_reason = %s
        WHERE id = %s AND status = 'open'
        RETURNING {_OCCURRENCE_COLUMNS}
        """,
        (status.value, at, by, reason, occurrence_id),
    )
    row = await cursor.fetchone()
    return _occurrence(row) if row is not None else None


async def get_occurrence(conn: Connection, *, occurrence_id: int) -> Occurrence | None:
    cursor = await conn.execute(
        f"SELECT {_OCCURRENCE_COLUMNS} FROM maintenance_occurrences WHERE id = %s",
        (occurrence_id,),
    )
    row = await cursor.fetchone()
    return _occurrence(row) if row is not None else None


async def open_occurrences(conn: Connection, *, machine_ids: Sequence[str]) -> list[Occurrence]:
    cursor = await conn.execute(
        f"SELECT {_OCCURRENCE_COLUMNS} FROM maintenance_occurrences"
        " WHERE machine_id = ANY(%s) AND status = 'open' ORDER BY due_at",
        (list(machine_ids),),
    )
    return [_occurrence(r) for r in await cursor.fetchall()]


async def occurrences_between(
    conn: Connection, *, machine_ids: Sequence[str], since: datetime, until: datetime
) -> list[Occurrence]:
    """Occurrences due in ``[since, until)``, plus every one still open."""
    cursor = await conn.execute(
        f"""
        SELECT {_OCCURRENCE_COLUMNS} FROM maintenance_occurrences
        WHERE machine_id = ANY(%s)
          AND ((due_at >= %s AND due_at < %s) OR status = 'open')
        ORDER BY due_at, machine_id, task_key
        """,
        (list(machine_ids), since, until),
    )
    return [_occurrence(r) for r in await cursor.fetchall()]


async def planned_windows(
    conn: Connection, *, line_id: str, since: datetime, until: datetime
) -> list[PlannedWindow]:
    """The line's planned maintenance windows overlapping ``[since, until)``; a skipped
    occurrence plans nothing."""
    cursor = await conn.execute(
        """
        SELECT machine_id, line_id, window_start, window_end, stops_line
        FROM maintenance_occurrences
        WHERE line_id = %s AND status <> 'skipped'
          AND window_start < %s AND window_end > %s
        ORDER BY window_start
        """,
        (line_id, until, since),
    )
    return [PlannedWindow(r[0], r[1], r[2], r[3], r[4]) for r in await cursor.fetchall()]


async def in_planned_window(
    conn: Connection, *, machine_id: str, line_id: str, at: datetime
) -> bool:
    """Whether the machine stands for planned maintenance at ``at``: its own window, or a
    line-stopping one on its line."""
    cursor = await conn.execute(
        """
        SELECT EXISTS (
            SELECT 1 FROM maintenance_occurrences
            WHERE line_id = %s AND (machine_id = %s OR stops_line)
              AND status <> 'skipped' AND window_start <= %s AND window_end > %s)
        """,
        (line_id, machine_id, at, at),
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def usage_between(
    conn: Connection, *, machine_id: str, since: datetime, until: datetime
) -> Usage:
    """Running hours and produced parts from the machine's stored OEE shifts; a shift
    partly inside the stretch counts in proportion (the stored figures are per shift)."""
    cursor = await conn.execute(
        """
        WITH parts AS (
            SELECT running_s, good_count + reject_count AS produced,
                   EXTRACT(EPOCH FROM LEAST(shift_end, %(until)s)
                                      - GREATEST(shift_start, %(since)s))
                   / NULLIF(EXTRACT(EPOCH FROM shift_end - shift_start), 0) AS share
            FROM oee_results
            WHERE scope = %(scope)s AND subject_id = %(machine)s
              AND shift_end > %(since)s AND shift_start < %(until)s)
        SELECT coalesce(sum(running_s * share), 0), coalesce(sum(produced * share), 0) FROM parts
        """,
        {"scope": OeeScope.MACHINE.value, "machine": machine_id, "since": since, "until": until},
    )
    row = await cursor.fetchone()
    assert row is not None  # an aggregate returns one row
    return Usage(running_hours=float(row[0]) / 3600.0, parts=float(row[1]))


def _occurrence(row: Sequence[Any]) -> Occurrence:
    return Occurrence(
        id=row[0],
        machine_id=row[1],
        line_id=row[2],
        task_key=row[3],
        sequence=row[4],
        due_at=row[5],
        window_start=row[6],
        window_end=row[7],
        stops_line=row[8],
        ticket_id=row[9],
        opened_at=row[10],
        status=OccurrenceStatus(row[11]),
        closed_at=row[12],
        closed_by=row[13],
        skip_reason=row[14],
        production_notice_at=row[15],
    )


async def unknown_parts(conn: Connection, *, part_numbers: Sequence[str]) -> list[str]:
    """The part numbers that are not in the spare-parts catalogue."""
    cursor = await conn.execute(
        "SELECT n FROM unnest(%s::text[]) AS n"
        " WHERE NOT EXISTS (SELECT 1 FROM parts p WHERE p.part_number = n) ORDER BY n",
        (list(part_numbers),),
    )
    return [row[0] for row in await cursor.fetchall()]


async def import_overrides(
    conn: Connection, *, overrides: Sequence[TaskOverride], at: datetime
) -> None:
    """Store overrides for machine tasks that have none yet (API edits stay)."""
    for override in overrides:
        await conn.execute(
            """
            INSERT INTO maintenance_overrides
                (machine_id, task_key, interval, disabled, reason, updated_at, updated_by)
            SELECT %s, %s, %s, %s, %s, %s, NULL
            WHERE EXISTS (SELECT 1 FROM machines WHERE id = %s)
            ON CONFLICT (machine_id, task_key) DO NOTHING
            """,
            (
                override.machine_id,
                override.task_key,
                override.interval,
                override.disabled,
                override.reason,
                at,
                override.machine_id,
            ),
        )
