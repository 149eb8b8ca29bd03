"""The alert store on a real TimescaleDB: one open alert per machine and rule, even in a race."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from models.alerts import Alert, AlertStatus
from models.plant import Plant, Severity
from storage.alert_store import (
    close_alert,
    latest_closed_alert,
    list_alerts,
    open_alert,
    raise_severity,
    reopen_alert,
)
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from tests.alerts.factories import FRIDAY_0800

pytestmark = pytest.mark.integration


# The cycle that raised the alert ran a little after its latest evidence.
RAISED = FRIDAY_0800 + timedelta(minutes=16)


async def _open(conn: Connection, machine_id: str = "l1-filler") -> Alert | None:
    return await open_alert(
        conn,
        machine_id=machine_id,
        rule="sustained_anomaly",
        severity=Severity.GENERAL,
        opened_at=FRIDAY_0800,
        raised_at=RAISED,
        last_seen_at=FRIDAY_0800 + timedelta(minutes=15),
        peak_score=0.8,
        signals=("vibration_rms",),
        message="test",
    )


async def test_a_racing_second_open_waits_and_then_opens_nothing(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as setup:
        await sync_assets(setup, plant)
    async with db_pool.connection() as first_conn, db_pool.connection() as second_conn:
        async with first_conn.transaction():
            first = await _open(first_conn)
            # The second insert blocks on the first's uncommitted row until it commits.
            racing = asyncio.create_task(_open(second_conn))
            await asyncio.sleep(0.2)
            # Still waiting, so the two really raced: it is blocked, not merely late.
            assert not racing.done()
        second = await racing

    assert first is not None
    assert second is None


async def test_an_alert_keeps_when_it_was_raised_apart_from_when_its_evidence_began(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        opened = await _open(conn)
        (listed,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))

    assert opened is not None
    assert (opened.opened_at, opened.raised_at) == (FRIDAY_0800, RAISED)
    assert listed == opened


async def test_a_closed_alert_makes_room_for_a_new_one(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        first = await _open(conn)
        assert first is not None
        assert await close_alert(conn, alert_id=first.id)
        assert not await close_alert(conn, alert_id=first.id)
        second = await _open(conn)
        everything = await list_alerts(conn, scope=EVERY_CUSTOMER)
        open_only = await list_alerts(
            conn, scope=CustomerScope(customer_id="nordbrau"), open_only=True
        )

    assert second is not None
    assert [a.status for a in everything] == [AlertStatus.OPEN, AlertStatus.CLOSED]
    assert [a.id for a in open_only] == [second.id]


async def test_an_alerts_grade_only_ever_rises(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        alert = await _open(conn)
        assert alert is not None
        rose = await raise_severity(conn, alert_id=alert.id, severity=Severity.SERIOUS)
        again = await raise_severity(conn, alert_id=alert.id, severity=Severity.SERIOUS)
        eased = await raise_severity(conn, alert_id=alert.id, severity=Severity.GENERAL)
        (stored,) = await list_alerts(conn, scope=EVERY_CUSTOMER)

    assert (rose, again, eased) == (True, False, False)
    assert stored.severity is Severity.SERIOUS


async def _closed(conn: Connection) -> Alert:
    alert = await _open(conn)
    assert alert is not None
    assert await close_alert(conn, alert_id=alert.id)
    return alert


async def test_a_reopened_alert_is_open_again_from_the_earlier_start(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        closed = await _closed(conn)
        found = await latest_closed_alert(conn, machine_id="l1-filler", rule="sustained_anomaly")
        earlier = FRIDAY_0800 - timedelta(minutes=5)
        reopened = await reopen_alert(conn, alert_id=closed.id, opened_at=earlier)
        again = await reopen_alert(conn, alert_id=closed.id, opened_at=earlier)
        none_closed = await latest_closed_alert(
            conn, machine_id="l1-filler", rule="sustained_anomaly"
        )

    assert found == dataclasses.replace(closed, status=AlertStatus.CLOSED)
    assert reopened is not None
    assert (reopened.id, reopened.status, reopened.opened_at, reopened.raised_at) == (
        closed.id,
        AlertStatus.OPEN,
        earlier,
        RAISED,
    )
    assert again is None
    assert none_closed is None


async def test_a_racing_second_reopen_waits_and_then_reopens_nothing(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as setup:
        await sync_assets(setup, plant)
        closed = await _closed(setup)
    async with db_pool.connection() as first_conn, db_pool.connection() as second_conn:
        # An explicit transaction, as in the alert cycle: reopen_alert's own block
        # would otherwise commit at once and the second call would merely come late.
        async with first_conn.transaction():
            first = await reopen_alert(first_conn, alert_id=closed.id, opened_at=FRIDAY_0800)
            racing = asyncio.create_task(
                reopen_alert(second_conn, alert_id=closed.id, opened_at=FRIDAY_0800)
            )
            await asyncio.sleep(0.2)
            # Still waiting, so the two really raced: it is blocked on the row lock.
            assert not racing.done()
        second = await racing

    assert first is not None
    assert second is None


async def test_no_reopen_beside_a_newer_open_alert_and_the_transaction_goes_on(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        closed = await _closed(conn)
        newer = await _open(conn)
        reopened = await reopen_alert(conn, alert_id=closed.id, opened_at=FRIDAY_0800)
        statuses = [a.status for a in await list_alerts(conn, scope=EVERY_CUSTOMER)]

    assert newer is not None
    assert reopened is None
    assert statuses == [AlertStatus.OPEN, AlertStatus.CLOSED]
