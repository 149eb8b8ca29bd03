"""Licensed TimescaleDB features, used when present and replaced cleanly when not.

The Apache build (what Debian ships) has hypertables, ``time_bucket`` and
``drop_chunks``. Compression, continuous aggregates and background policies need
the Timescale licence (the docker-compose image has it). We detect which one the
server runs and set up the telemetry rollup and retention accordingly; the
hourly retention run also prunes the other history tables (history_retention).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from storage.connections import Connection
from storage.history_retention import HistoryPruned, HistoryRetention, prune_history
from storage.trend_rollups import drop_old_rollups

log = logging.getLogger(__name__)


class Edition(StrEnum):
    APACHE = "apache"
    COMMUNITY = "timescale"


@dataclass(frozen=True, slots=True)
class FeatureSetup:
    edition: Edition
    rollup: str  # "continuous_aggregate" or "view"
    retention: str  # "policy" or "drop_chunks job"
    compression: bool


_ROLLUP_SELECT = """
    SELECT time_bucket(INTERVAL '1 minute', time) AS bucket,
           machine_id, signal,
           avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value,
           last(value, time) AS last_value, count(*) AS samples
    FROM telemetry
    GROUP BY bucket, machine_id, signal
"""


async def detect_edition(conn: Connection) -> Edition:
    cursor = await conn.execute("SELECT current_setting('timescaledb.license', true)")
    row = await cursor.fetchone()
    return Edition.COMMUNITY if row and row[0] == "timescale" else Edition.APACHE


async def _relation_kind(conn: Connection, name: str) -> str | None:
    cursor = await conn.execute("SELECT relkind::text FROM pg_class WHERE relname = %s", (name,))
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def _setup_licensed(conn: Connection, retention: timedelta) -> None:
    await conn.execute(
        "ALTER TABLE telemetry SET (timescaledb.compress,"
        " timescaledb.compress_segmentby = 'machine_id, signal')"
    )
    await conn.execute(
        "SELECT add_compression_policy('telemetry', INTERVAL '7 days', if_not_exists => true)"
    )
    await conn.execute(
        "SELECT add_retention_policy('telemetry', %s::interval, if_not_exists => true)",
        (retention,),
    )
    if await _relation_kind(conn, "telemetry_1m") is None:
        await conn.execute(
            "CREATE MATERIALIZED VIEW telemetry_1m WITH (timescaledb.continuous) AS"
            + _ROLLUP_SELECT
            + " WITH NO DATA"
        )
        await conn.execute(
            "SELECT add_continuous_aggregate_policy('telemetry_1m',"
            " start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 minute',"
            " schedule_interval => INTERVAL '1 minute', if_not_exists => true)"
        )


async def _setup_apache(conn: Connection) -> None:
    # A plain view computes the same rollup on read; retention runs as our own job.
    # security_invoker: a customer's connection reads telemetry under its own row-level
    # security, not as the view's owner (docs/access.md, "Row-level security").
    await conn.execute(
        "CREATE OR REPLACE VIEW telemetry_1m WITH (security_invoker = true) AS" + _ROLLUP_SELECT
    )
    await conn.execute("GRANT SELECT ON telemetry_1m TO linecare_customer")


async def setup_features(conn: Connection, retention: timedelta) -> FeatureSetup:
    """Create the rollup and retention fitting this server's edition. Idempotent."""
    edition = await detect_edition(conn)
    await conn.commit()
    await conn.set_autocommit(True)  # continuous aggregates refuse to be created in a transaction
    try:
        if edition is Edition.COMMUNITY:
            await _setup_licensed(conn, retention)
            setup = FeatureSetup(edition, "continuous_aggregate", "policy", True)
        else:
            await _setup_apache(conn)
            setup = FeatureSetup(edition, "view", "drop_chunks job", False)
    finally:
        await conn.set_autocommit(False)
    log.info(
        "timescaledb %s edition: rollup=%s retention=%s", edition, setup.rollup, setup.retention
    )
    return setup


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one retention run removed."""

    telemetry_chunks: int
    rollup_chunks: int
    history: HistoryPruned


async def enforce_retention(
    conn: Connection, edition: Edition, retention: timedelta, *, history: HistoryRetention
) -> RetentionReport:
    """Drop telemetry chunks older than ``retention``, and prune the other history tables.

    With the licence a background policy drops telemetry (``telemetry_chunks`` is
    then 0). The trend rollups follow telemetry's retention, and the other tables
    are pruned, here on either edition: their ticket hold is more than a policy
    can express.
    """
    return RetentionReport(
        telemetry_chunks=await _drop_telemetry_chunks(conn, edition, retention),
        rollup_chunks=await drop_old_rollups(conn, older_than=retention),
        history=await prune_history(conn, history),
    )


async def _drop_telemetry_chunks(conn: Connection, edition: Edition, retention: timedelta) -> int:
    if edition is Edition.COMMUNITY:
        return 0
    cursor = await conn.execute(
        "SELECT count(*) FROM drop_chunks('telemetry', older_than => now() - %s::interval)",
        (retention,),
    )
    row = await cursor.fetchone()
    await conn.commit()
    return int(row[0]) if row else 0
