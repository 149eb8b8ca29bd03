"""Numbered SQL migrations, applied once each, in order, each in its own transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

from storage.connections import Connection

log = logging.getLogger(__name__)

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``storage/migrations``, ordered by number."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


# Every LineCare process migrates at start-up; the lock makes concurrent starts
# (docker-compose brings several up at once) apply each migration exactly once.
MIGRATION_LOCK = 0x11AEC0DE


async def migrate(conn: Connection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        return await _apply_pending(conn)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        await conn.commit()


async def _apply_pending(conn: Connection) -> list[int]:
    await conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    await conn.execute(_LEDGER)
    await conn.commit()
    cursor = await conn.execute("SELECT version FROM schema_migrations")
    done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for migration in bundled_migrations():
        if migration.version in done:
            continue
        async with conn.transaction():
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        log.info("applied migration %03d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied
