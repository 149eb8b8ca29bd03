"""A database with the shipped plant, the demo users and the demo's spare parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.user_store import seed_demo_users
from tests.fixtures.fix_database import PLANT_FILE

SEEDED_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def parts_pool(db_pool: Pool, plant: Plant) -> Pool:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=SEEDED_AT)
    return db_pool
