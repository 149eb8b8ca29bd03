"""Rows for API tests, written with plain SQL so the tests do not lean on other stages' code."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from storage.connections import Connection

# Plant time in the tests: a fixed instant, so defaults that anchor on data are visible.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_ticket_numbers = itertools.count(1)


async def insert_samples(
    conn: Connection,
    *,
    machine_id: str,
    signal: str,
    samples: Iterable[tuple[datetime, float]],
    quality: int = 0,
) -> None:
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO telemetry (time, machine_id, signal, value, quality)"
            " VALUES (%s, %s, %s, %s, %s)",
            [(time, machine_id, signal, value, quality) for time, value in samples],
        )


async def insert_series(
    conn: Connection,
    *,
    machine_id: str,
    signal: str,
    start: datetime,
    step: timedelta,
    values: Sequence[float],
) -> None:
    """Evenly spaced samples from ``start``."""
    await insert_samples(
        conn,
        machine_id=machine_id,
        signal=signal,
        samples=[(start + i * step, v) for i, v in enumerate(values)],
    )


async def insert_alert(
    conn: Connection,
    *,
    machine_id: str,
    opened_at: datetime = T0,
    raised_at: datetime | None = None,
    severity: str = "serious",
    status: str = "open",
    rule: str = "anomaly",
    signals: Sequence[str] = ("bearing_temp",),
    message: str = "bearing temperature above normal",
    peak_score: float = 0.92,
) -> int:
    """An alert whose evidence began at ``opened_at``, raised then unless ``raised_at`` says."""
    cursor = await conn.execute(
        """
        INSERT INTO alerts (machine_id, rule, severity, status, opened_at, raised_at,
                            last_seen_at, peak_score, signals, message)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING id
        """,
        (
            machine_id,
            rule,
            severity,
            status,
            opened_at,
            raised_at or opened_at,
            opened_at,
            peak_score,
            list(signals),
            message,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def insert_ticket(
    conn: Connection,
    *,
    customer_id: str,
    line_id: str,
    machine_id: str,
    received_at: datetime = T0,
    severity: str = "serious",
    status: str = "registered",
    summary: str = "Bearing temperature rising",
) -> int:
    number = f"LC-{received_at.year}-{next(_ticket_numbers):06d}"
    cursor = await conn.execute(
        """
        INSERT INTO tickets (number, status, customer_id, contract_number, contact_name,
            line_id, machine_id, machine_model, machine_serial, ticket_type, channel,
            severity, under_warranty, summary, symptoms, signals, received_at,
            response_due, arrival_due, resolution_due)
        VALUES (%s, %s, %s, 'SC-TEST', 'Test Contact', %s, %s, 'MOD-1', 'SER-1',
            'general_fault', 'automatic_warning', %s, true, %s, 'runs hot', %s, %s,
            %s, %s, %s)
        RETURNING id
        """,
        (
            number,
            status,
            customer_id,
            line_id,
            machine_id,
            severity,
            summary,
            ["bearing_temp", "vibration_rms"],
            received_at,
            received_at + timedelta(hours=1),
            received_at + timedelta(hours=24),
            received_at + timedelta(hours=48),
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def insert_ticket_event(
    conn: Connection, *, ticket_id: int, at: datetime, kind: str, note: str
) -> None:
    await conn.execute(
        "INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES (%s, %s, %s, %s)",
        (ticket_id, at, kind, note),
    )


async def insert_oee(
    conn: Connection,
    *,
    scope: str,
    subject_id: str,
    shift_start: datetime,
    shift_name: str = "early",
    availability: float = 0.9,
    performance: float = 0.8,
    quality: float = 0.95,
    performance_flagged: bool = False,
) -> None:
    planned = 7.5 * 3600
    await conn.execute(
        """
        INSERT INTO oee_results (scope, subject_id, shift_name, shift_start, shift_end,
            planned_busy_s, running_s, setup_s, breakdown_s, stop_s, idle_s, unknown_s,
            good_count, reject_count, ideal_output_s, availability, performance, quality,
            oee, performance_flagged)
        VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, 0, 0, 0, 950, 50, %s, %s, %s, %s, %s, %s)
        """,
        (
            scope,
            subject_id,
            shift_name,
            shift_start,
            shift_start + timedelta(hours=8),
            planned,
            planned * availability,
            planned * (1 - availability),
            planned * availability * performance,
            availability,
            performance,
            quality,
            availability * performance * quality,
            performance_flagged,
        ),
    )


async def insert_anomaly_score(
    conn: Connection,
    *,
    machine_id: str,
    time: datetime,
    score: float,
    contributions: Sequence[tuple[str, float, float]] = (),
    model_version: int | None = 1,
) -> None:
    """A score on the 0..1 scale; ``contributions`` are (signal, deviation, share of score)."""
    await conn.execute(
        "INSERT INTO anomaly_scores (time, machine_id, score, contributions, model_version)"
        " VALUES (%s, %s, %s, %s::jsonb, %s)",
        (
            time,
            machine_id,
            score,
            json.dumps(
                [{"signal": s, "deviation": d, "contribution": c} for s, d, c in contributions]
            ),
            model_version,
        ),
    )
