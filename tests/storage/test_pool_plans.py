"""The API's pool keeps generic plans for prepared statements; other pools plan as usual."""

from __future__ import annotations

import pytest

from storage.database import open_pool

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("generic", "mode"), [(True, "force_generic_plan"), (False, "auto")])
async def test_a_pool_plans_as_asked(database_dsn: str, generic: bool, mode: str) -> None:
    pool = open_pool(database_dsn, min_size=1, max_size=1, generic_plans=generic)
    await pool.open(wait=True)
    try:
        async with pool.connection() as conn:
            cursor = await conn.execute("SHOW plan_cache_mode")
            assert await cursor.fetchone() == (mode,)
    finally:
        await pool.close()
