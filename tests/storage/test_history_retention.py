"""Retention of the history beside telemetry, on a real TimescaleDB: old rows go, recent stay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from models.plant import Plant, Severity
from models.tickets import Channel, SlaDeadlines, TicketDraft, TicketType
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.history_retention import HistoryPruned, prune_history
from storage.ticket_store import register_ticket
from storage.timescale_features import detect_edition, enforce_retention
from tests.storage.history_policy import HISTORY_RETENTION

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
RECENT = NOW - timedelta(days=1)


async def _dead_letter(conn: Connection, received_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO dead_letters (received_at, source, origin, payload, reason)"
        " VALUES (%s, 'mqtt', 'plant/x', 'garbage', 'not JSON')",
        (received_at,),
    )


async def _plc_event(conn: Connection, machine_id: str, time: datetime) -> None:
    await conn.execute(
        "INSERT INTO plc_events (time, machine_id, source_node, event_type, severity,"
        " message, event_id, raw) VALUES (%s, %s, 'ns=2;s=Filler', 'AlarmConditionType',"
        " 700, 'overtemperature', gen_random_uuid()::text::bytea, '{}')",
        (time, machine_id),
    )


async def _stop(conn: Connection, machine_id: str, shift_start: datetime) -> None:
    await conn.execute(
        "INSERT INTO downtime_events (machine_id, shift_start, started, ended, category,"
        " reason, lost_s, counted) VALUES (%s, %s, %s, %s, 'breakdown', 'jam', 600, true)",
        (machine_id, shift_start, shift_start, shift_start + timedelta(minutes=10)),
    )


async def _anomaly_score(conn: Connection, time: datetime) -> None:
    await conn.execute(
        "INSERT INTO anomaly_scores (time, machine_id, score, contributions)"
        " VALUES (%s, 'l1-filler', 0.4, '[]')",
        (time,),
    )


async def _times(conn: Connection, query: str) -> list[tuple[str, datetime]]:
    cursor = await conn.execute(query)
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def _open_ticket(conn: Connection, machine_id: str, received_at: datetime) -> int:
    deadline = received_at + timedelta(hours=2)
    draft = TicketDraft(
        customer_id="nordbrau",
        contract_number="SC-2025-0042",
        contact_name="Anna Keller",
        line_id="line-1",
        machine_id=machine_id,
        machine_model="FIL-12",
        machine_serial="FIL12-88121",
        ticket_type=TicketType.GENERAL_FAULT,
        channel=Channel.HOTLINE,
        severity=Severity.GENERAL,
        under_warranty=False,
        summary="Filler stops with overtemperature",
        symptoms="alarm 700 repeatedly",
        signals=(),
        received_at=received_at,
        deadlines=SlaDeadlines(response_due=deadline, arrival_due=None, resolution_due=deadline),
    )
    ticket = await register_ticket(conn, draft=draft, note="reported by phone")
    return ticket.id


async def test_each_table_loses_what_outlived_its_retention(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        for when in (NOW - timedelta(days=31), RECENT):
            await _dead_letter(conn, when)
        for when in (NOW - timedelta(days=366), RECENT):
            await _plc_event(conn, "l1-capper", when)
        # Stops are kept two years: a year-old stop stays.
        for when in (NOW - timedelta(days=731), NOW - timedelta(days=400), RECENT):
            await _stop(conn, "l1-capper", when)
        for when in (NOW - timedelta(days=400), RECENT):
            await _anomaly_score(conn, when)
        await conn.commit()
        edition = await detect_edition(conn)

        report = await enforce_retention(
            conn, edition, timedelta(days=365), history=HISTORY_RETENTION
        )

        letters = await conn.execute("SELECT received_at FROM dead_letters")
        events = await _times(conn, "SELECT machine_id, time FROM plc_events")
        stops = await _times(conn, "SELECT machine_id, shift_start FROM downtime_events")
        scores = await conn.execute("SELECT time FROM anomaly_scores")
        assert [row[0] for row in await letters.fetchall()] == [RECENT]
        assert [row[0] for row in await scores.fetchall()] == [RECENT]
    assert events == [("l1-capper", RECENT)]
    assert sorted(stops) == [("l1-capper", NOW - timedelta(days=400)), ("l1-capper", RECENT)]
    assert report.history == HistoryPruned(
        dead_letters=1, plc_events=1, downtime_events=1, anomaly_score_chunks=1
    )


async def test_an_open_ticket_holds_its_machines_evidence_until_archived(
    db_pool: Pool, plant: Plant
) -> None:
    old = NOW - timedelta(days=800)
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        ticket_id = await _open_ticket(conn, "l1-filler", received_at=old + timedelta(days=3))
        for machine_id in ("l1-filler", "l1-capper"):
            await _plc_event(conn, machine_id, old)
            await _stop(conn, machine_id, old)
        # Outside the ticket's 30 days either side: no evidence, they go.
        await _plc_event(conn, "l1-filler", old - timedelta(days=40))
        await _plc_event(conn, "l1-filler", old + timedelta(days=40))
        await conn.commit()

        held = await prune_history(conn, HISTORY_RETENTION)
        events = await _times(conn, "SELECT machine_id, time FROM plc_events")
        stops = await _times(conn, "SELECT machine_id, shift_start FROM downtime_events")
        await conn.execute("UPDATE tickets SET status = 'archived' WHERE id = %s", (ticket_id,))
        await conn.commit()
        released = await prune_history(conn, HISTORY_RETENTION)
        left = await _times(conn, "SELECT machine_id, time FROM plc_events")

    assert (held.plc_events, held.downtime_events) == (3, 1)
    assert events == [("l1-filler", old)]
    assert stops == [("l1-filler", old)]
    assert (released.plc_events, released.downtime_events) == (1, 1)
    assert left == []


async def test_deletes_run_in_batches_until_nothing_old_is_left(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        for days in range(31, 36):
            await _dead_letter(conn, NOW - timedelta(days=days))
        await _dead_letter(conn, RECENT)
        await conn.commit()

        pruned = await prune_history(
            conn,
            replace(HISTORY_RETENTION, batch_size=2),
        )
        cursor = await conn.execute("SELECT received_at FROM dead_letters")
        left = [row[0] for row in await cursor.fetchall()]

    assert pruned.dead_letters == 5
    assert left == [RECENT]
