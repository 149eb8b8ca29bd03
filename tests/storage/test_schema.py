"""The schema on a real TimescaleDB: hypertables, idempotent keys, edition fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from models.plant import Plant
from models.readings import Reading
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.schema_migrations import bundled_migrations, migrate
from storage.telemetry_writer import write_readings
from storage.timescale_features import Edition, detect_edition, enforce_retention, setup_features
from tests.storage.history_policy import HISTORY_RETENTION

pytestmark = pytest.mark.integration


async def test_telemetry_is_a_hypertable(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1"
        )
        names = [row[0] for row in await cursor.fetchall()]
    assert names == ["anomaly_scores", "telemetry", "trend_rollups"]


async def test_migrations_run_once(database_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_dsn) as conn:
        assert await migrate(conn) == []
        cursor = await conn.execute("SELECT max(version) FROM schema_migrations")
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == bundled_migrations()[-1].version


async def test_apache_edition_falls_back_to_view_and_drop_chunks(
    db_pool: Pool,
) -> None:
    async with db_pool.connection() as conn:
        edition = await detect_edition(conn)
        if edition is not Edition.APACHE:
            pytest.skip("this server has the Timescale licence; see the licensed test")
        setup = await setup_features(conn, timedelta(days=30))
        assert (setup.rollup, setup.retention, setup.compression) == (
            "view",
            "drop_chunks job",
            False,
        )
        old = datetime.now(UTC) - timedelta(days=90)
        recent = datetime.now(UTC) - timedelta(hours=1)
        for when in (old, recent):
            await conn.execute(
                "INSERT INTO telemetry (time, machine_id, signal, value) VALUES (%s, 'm', 's', 1)",
                (when,),
            )
        await conn.commit()
        report = await enforce_retention(
            conn, edition, timedelta(days=30), history=HISTORY_RETENTION
        )
        cursor = await conn.execute("SELECT time FROM telemetry")
        left = [row[0] for row in await cursor.fetchall()]
        rollup = await conn.execute("SELECT samples FROM telemetry_1m")
        buckets = [row[0] for row in await rollup.fetchall()]
    assert report.telemetry_chunks == 1
    assert left == [recent]
    assert buckets == [1]


async def test_licensed_edition_uses_continuous_aggregate(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        if await detect_edition(conn) is not Edition.COMMUNITY:
            pytest.skip("Apache-only build here; runs against the docker-compose image")
        setup = await setup_features(conn, timedelta(days=30))
        cursor = await conn.execute(
            "SELECT view_name FROM timescaledb_information.continuous_aggregates"
        )
        views = [row[0] for row in await cursor.fetchall()]
    assert setup.compression
    assert views == ["telemetry_1m"]


async def test_duplicate_sample_is_rejected_by_key(db_pool: Pool) -> None:
    when = datetime(2026, 1, 5, 8, tzinfo=UTC)
    async with db_pool.connection() as conn:
        await conn.execute(
            "INSERT INTO telemetry (time, machine_id, signal, value) VALUES (%s, 'm', 's', 1)",
            (when,),
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            await conn.execute(
                "INSERT INTO telemetry (time, machine_id, signal, value) VALUES (%s, 'm', 's', 2)",
                (when,),
            )


async def test_asset_sync_is_idempotent(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await sync_assets(conn, plant)
        cursor = await conn.execute("SELECT count(*) FROM machines")
        row = await cursor.fetchone()
    assert row is not None
    assert row[0] == sum(1 for _ in plant.placements())


async def test_writer_marks_the_oldest_new_sample_per_machine(db_pool: Pool) -> None:
    early = datetime(2026, 1, 5, 6, tzinfo=UTC)
    late = early + timedelta(hours=2)
    async with db_pool.connection() as conn:
        await write_readings(conn, [Reading(late, "m1", "state", 6)])
        await write_readings(
            conn, [Reading(early, "m1", "state", 5), Reading(late, "m2", "state", 6)]
        )
        await write_readings(conn, [Reading(late, "m1", "speed", 1)])
        cursor = await conn.execute(
            "SELECT machine_id, since FROM telemetry_pending_analysis ORDER BY 1"
        )
        rows = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT machine_id, since FROM trend_rollups_pending ORDER BY 1"
        )
        rollup_marks = await cursor.fetchall()
    assert rows == [("m1", early), ("m2", late)]
    assert rollup_marks == rows
