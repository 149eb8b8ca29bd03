"""The alert store on a real TimescaleDB: one open alert per machine and rule, even in a race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.alerts import Alert, AlertStatus
from models.plant import Plant, Severity
from storage.alert_store import close_alert, list_alerts, open_alert, raise_severity
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from tests.alerts.factories import FRIDAY_0800

pytestmark = pytest.mark.integration


async def _open(conn: Connection, machine_id: str = "l1-filler") -> Alert | None:
    return await open_alert(
        conn,
        machine_id=machine_id,
        rule="sustained_anomaly",
        severity=Severity.GENERAL,
        opened_at=FRIDAY_0800,
        last_seen_at=FRIDAY_0800 + timedelta(minutes=15),
        peak_score=4.0,
        signals=("vibration_rms",),
        message="test",
    )


async def test_a_racing_second_open_waits_and_then_opens_nothing(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as setup:
        await sync_assets(setup, plant)
    async with db_pool.connection() as first_conn, db_pool.connection() as second_conn:
        first = await _open(first_conn)
        # The second insert blocks on the first's uncommitted row until it commits.
        racing = asyncio.create_task(_open(second_conn))
        await asyncio.sleep(0.1)
        await first_conn.commit()
        second = await racing

    assert first is not None
    assert second is None


async def test_a_closed_alert_makes_room_for_a_new_one(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        first = await _open(conn)
        assert first is not None
        assert await close_alert(conn, alert_id=first.id)
        assert not await close_alert(conn, alert_id=first.id)
        second = await _open(conn)
        everything = await list_alerts(conn, customer_id=None)
        open_only = await list_alerts(conn, customer_id="nordbrau", open_only=True)

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
        (stored,) = await list_alerts(conn, customer_id=None)

    assert (rose, again, eased) == (True, False, False)
    assert stored.severity is Severity.SERIOUS
