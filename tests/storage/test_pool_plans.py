"""The API's pool: generic plans for prepared statements and UTC times on every session,
after whatever options the DSN already names; other pools keep the server's defaults."""

from __future__ import annotations

import pytest

from storage.database import open_pool

pytestmark = pytest.mark.integration

_SETTINGS = "SELECT current_setting('plan_cache_mode'), current_setting('TimeZone'),"
_SETTINGS += " current_setting('application_name')"


@pytest.mark.parametrize(
    ("api", "expected"),
    [(True, ("force_generic_plan", "UTC")), (False, ("auto", None))],
)
async def test_a_pool_sets_the_api_sessions_as_asked(
    database_dsn: str, api: bool, expected: tuple[str, str | None]
) -> None:
    dsn = f"{database_dsn} options='-c application_name=from-the-dsn'"
    pool = open_pool(dsn, min_size=1, max_size=1, api_sessions=api)
    await pool.open(wait=True)
    try:
        async with pool.connection() as conn:
            row = await (await conn.execute(_SETTINGS)).fetchone()
    finally:
        await pool.close()
    assert row is not None
    mode, zone = expected
    assert row[0] == mode
    if zone is not None:
        assert row[1] == zone
    # Options the DSN names stay, with the API's after them.
    assert row[2] == "from-the-dsn"
