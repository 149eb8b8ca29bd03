"""A repaired machine gets a new healthy baseline: the running after the repair."""

from __future__ import annotations

import pytest

from analytics.analytics_job import run_analytics_cycle
from models.plant import Plant
from storage import condition_model_store
from storage.asset_registry import sync_assets
from storage.connections import Pool
from tests.analytics.late_telemetry import FIRST_MODEL_AT, running_morning, write
from tests.analytics.telemetry_factories import at
from tests.api.factories import insert_ticket

pytestmark = pytest.mark.integration


async def _versions(pool: Pool) -> list[tuple[int, str, str]]:
    async with pool.connection() as conn:
        rows = await condition_model_store.versions(conn, machine_id="l1-filler")
    return [(r.version, r.status.value, r.reason) for r in rows]


async def test_a_repair_starts_a_new_baseline_once_there_is_enough_running_after_it(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(db_pool, running_morning("l1-filler", seed=4, until=at(11)))
    await run_analytics_cycle(db_pool, plant, now=FIRST_MODEL_AT)
    async with db_pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        # The engineer replaced the bearing; the ticket was marked repaired at 08:00.
        await conn.execute(
            "UPDATE tickets SET status = 'repaired', resolved_at = %s WHERE id = %s",
            (at(8), ticket),
        )

    # At 08:30 there is too little running since the repair to learn from.
    await run_analytics_cycle(db_pool, plant, now=at(8, 30))
    assert [v for v, _, _ in await _versions(db_pool)] == [1]

    await run_analytics_cycle(db_pool, plant, now=at(10))
    newest, *older = await _versions(db_pool)
    assert newest[:2] == (2, "active")
    assert newest[2].startswith("new baseline after the repair")
    assert older == [(1, "retired", "first model")]
    async with db_pool.connection() as conn:
        rows = await condition_model_store.versions(conn, machine_id="l1-filler")
    assert rows[0].decoded().model.trained_from >= at(8)
