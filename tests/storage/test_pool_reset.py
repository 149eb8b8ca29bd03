"""The pool hands out every connection as it first made it, whatever the last user did."""

from __future__ import annotations

import pytest

from storage.database import open_pool

pytestmark = pytest.mark.integration


async def test_a_connection_left_in_autocommit_comes_back_out_of_it(database_dsn: str) -> None:
    pool = open_pool(database_dsn, min_size=1, max_size=1)
    await pool.open(wait=True)
    try:
        async with pool.connection() as conn:
            await conn.set_autocommit(True)  # as the API's reads run
        async with pool.connection() as again:
            assert again is conn
            assert not again.autocommit
            await again.execute("SELECT 1")
            assert again.info.transaction_status.name == "INTRANS"
    finally:
        await pool.close()
