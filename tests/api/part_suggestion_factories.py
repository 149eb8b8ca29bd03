"""Past fault tickets of a machine with their fault codes, signals and the parts their
service report lists: the service history the suggested parts learn from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import count

from storage.connections import Connection

_numbers = count(500_000)


async def insert_fault_ticket(
    conn: Connection,
    *,
    machine_id: str,
    received_at: datetime,
    machine_model: str = "FIL-12",
    customer_id: str = "nordbrau",
    line_id: str = "line-1",
    fault_codes: Sequence[int] = (),
    signals: Sequence[str] = (),
    parts: Sequence[str] = (),
    status: str = "archived",
) -> int:
    """A fault ticket; with ``parts``, a filed report listing them (restored 4 h later)."""
    cursor = await conn.execute(
        """
        INSERT INTO tickets (number, status, customer_id, contract_number, contact_name,
            line_id, machine_id, machine_model, machine_serial, ticket_type, channel,
            severity, under_warranty, summary, symptoms, signals, received_at,
            response_due, arrival_due, resolution_due)
        VALUES (%s, %s, %s, 'SC-TEST', 'Test Contact', %s, %s, %s, 'SER-1',
            'general_fault', 'automatic_warning', 'serious', true, 'fault', 'fault', %s, %s,
            %s, %s, %s)
        RETURNING id
        """,
        (
            f"LC-{received_at.year}-{next(_numbers):06d}",
            status,
            customer_id,
            line_id,
            machine_id,
            machine_model,
            list(signals),
            received_at,
            received_at + timedelta(hours=1),
            received_at + timedelta(hours=24),
            received_at + timedelta(hours=48),
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    ticket_id = int(row[0])
    for code in fault_codes:
        await conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, note, field, new_value)"
            " VALUES (%s, %s, 'machine_stop', 'stop', 'fault_code', %s)",
            (ticket_id, received_at, str(code)),
        )
    if parts:
        await _report(conn, ticket_id, received_at, parts)
    return ticket_id


async def _report(
    conn: Connection, ticket_id: int, received_at: datetime, parts: Sequence[str]
) -> None:
    await conn.execute(
        """
        INSERT INTO service_reports (ticket_id, version, filed_by, filed_by_role, filed_at,
            symptoms, diagnosis, root_cause, actions_taken, state_before, state_after,
            failure_at, arrived_at, restored_at, remaining_issues, advice)
        VALUES (%s, 1, 'demo-field-1', 'field_engineer', %s, 's', 'd', 'r', 'a', 'b', 'after',
            %s, %s, %s, '', '')
        """,
        (
            ticket_id,
            received_at + timedelta(hours=5),
            received_at,
            received_at,
            received_at + timedelta(hours=4),
        ),
    )
    for line_no, part in enumerate(parts):
        await conn.execute(
            "INSERT INTO service_report_parts (ticket_id, version, line_no, part_number, serial,"
            " quantity, position, monitored) VALUES (%s, 1, %s, %s, '', 1, '', false)",
            (ticket_id, line_no, part),
        )
