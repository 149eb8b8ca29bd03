"""Creating, migrating and connecting to the LineCare database."""

from __future__ import annotations

from datetime import timedelta

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from models.plant import Plant
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool, PooledConnection
from storage.customer_scope import leave_customer_scope
from storage.schema_migrations import MIGRATION_LOCK, migrate
from storage.timescale_features import FeatureSetup, setup_features


async def ensure_database(dsn: str) -> None:
    """Create the database named in the DSN when the server does not have it yet."""
    params = conninfo_to_dict(dsn)
    name = str(params.get("dbname", "postgres"))
    maintenance = make_conninfo(dsn, dbname="postgres")
    async with await psycopg.AsyncConnection.connect(maintenance, autocommit=True) as conn:
        cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if await cursor.fetchone() is None:
            await conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


async def prepare_database(dsn: str, plant: Plant, retention: timedelta) -> FeatureSetup:
    """Everything a fresh or existing database needs before the pipeline starts."""
    await ensure_database(dsn)
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        # Held across all three steps: processes starting together take turns.
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        await conn.commit()
        await migrate(conn)
        features = await setup_features(conn, retention)
        await sync_assets(conn, plant)
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return features


# The API's sessions. Statements psycopg has prepared (on their fifth run on a
# connection) keep one generic plan instead of being planned on every run: planning
# a trend read over three hypertables cost 0.4-0.8 ms of its 2 ms with a week of
# chunks, and grows with every chunk, while TimescaleDB still skips the chunks
# outside a range at run time. A transaction per read to set this for the trend read
# alone cost more than it saved (bench.api, mixed p50 99 -> 120 ms). Times are
# written in UTC whatever the server's zone, as the API writes them.
_API_SESSION = "-c plan_cache_mode=force_generic_plan -c TimeZone=UTC"


def api_session_options(dsn: str) -> str:
    """The ``options`` of the API's sessions, after any the DSN already names."""
    named = conninfo_to_dict(dsn).get("options")
    return f"{named} {_API_SESSION}" if named else _API_SESSION


def open_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, api_sessions: bool = False
) -> Pool:
    """A pool that is not open yet: the caller opens it inside its own event loop.

    Every connection it takes back leaves the customer scope a request may have
    switched it to (storage/customer_scope.py), whether the request ended well or not.
    ``api_sessions``: the API's settings (``api_session_options``) on every connection.
    """
    return AsyncConnectionPool[Connection](
        dsn,
        kwargs={"options": api_session_options(dsn)} if api_sessions else None,
        connection_class=PooledConnection,
        min_size=min_size,
        max_size=max_size,
        open=False,
        reset=_reset_connection,
    )


async def _reset_connection(conn: Connection) -> None:
    """A connection taken back leaves the customer scope and autocommit (the API's reads
    run in it): the next user gets it as the pool first made it."""
    await leave_customer_scope(conn)
    if conn.autocommit:
        await conn.set_autocommit(False)
