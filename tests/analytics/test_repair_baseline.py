"""A repair whose service report replaces a monitored part gives the machine a new healthy
baseline: the running after the restore. A repair that replaced none keeps the old one."""

from __future__ import annotations

from datetime import datetime

import pytest

from alerts import closure_commands
from analytics.analytics_job import run_analytics_cycle
from analytics.condition_refresh_context import AnomalySettings
from analytics.model_retraining import train_machine_model
from models.condition_model import ModelStatus
from models.plant import Plant
from models.service_report import ReplacedPart, ServiceReport, ServiceReportDraft
from models.users import Role, User
from storage import condition_model_store
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.analytics.late_telemetry import FIRST_MODEL_AT, running_morning, write
from tests.analytics.telemetry_factories import at
from tests.api.factories import insert_ticket

pytestmark = pytest.mark.integration

ENGINEER = User(7, "eng-weber", "K. Weber", Role.FIELD_ENGINEER, None)


async def _versions(pool: Pool) -> list[tuple[int, str, str]]:
    async with pool.connection() as conn:
        rows = await condition_model_store.versions(
            conn, machine_id="l1-filler", scope=EVERY_CUSTOMER
        )
    return [(r.version, r.status.value, r.reason) for r in rows]


def _report(restored_at: datetime, *, monitored: bool) -> ServiceReportDraft:
    return ServiceReportDraft(
        symptoms="bearing runs hot",
        diagnosis="pitted outer race",
        root_cause="lubrication interval too long",
        actions_taken="replaced the main drive bearing",
        state_before="stopped",
        state_after="running normally",
        failure_at=None,
        arrived_at=None,
        restored_at=restored_at,
        parts=(ReplacedPart("SKF-6205", "B-42", 1, "main drive", monitored=monitored),),
    )


async def _file(pool: Pool, draft: ServiceReportDraft) -> None:
    async with pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler", status="on_site"
        )
        await conn.commit()
        filed = await closure_commands.file_report(
            conn, ticket_id=ticket, draft=draft, user=ENGINEER, at=at(8, 5)
        )
    assert isinstance(filed, ServiceReport)


async def _first_model(pool: Pool, plant: Plant) -> None:
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(pool, running_morning("l1-filler", seed=4, until=at(11)))
    await run_analytics_cycle(pool, plant, now=FIRST_MODEL_AT)


async def test_a_replaced_bearing_starts_a_new_baseline_from_the_restore(
    db_pool: Pool, plant: Plant
) -> None:
    await _first_model(db_pool, plant)
    # The engineer replaced the bearing; the line ran again at 08:00.
    await _file(db_pool, _report(at(8, 0, 25), monitored=True))

    # At 08:30 there is too little running since the restore to learn from.
    await run_analytics_cycle(db_pool, plant, now=at(8, 30))
    assert [v for v, _, _ in await _versions(db_pool)] == [1]

    await run_analytics_cycle(db_pool, plant, now=at(10))
    newest, *older = await _versions(db_pool)
    assert newest[:2] == (2, "active")
    assert newest[2].startswith("new baseline after the repair")
    assert older == [(1, "retired", "first model")]
    async with db_pool.connection() as conn:
        rows = await condition_model_store.versions(
            conn, machine_id="l1-filler", scope=EVERY_CUSTOMER
        )
    assert rows[0].decoded().model.trained_from >= at(8)

    # The new baseline answers the request: later cycles do not learn it again.
    await run_analytics_cycle(db_pool, plant, now=at(10, 30))
    assert [v for v, _, _ in await _versions(db_pool)] == [2, 1]


async def test_a_retraining_between_the_restore_and_the_report_does_not_swallow_it(
    db_pool: Pool, plant: Plant
) -> None:
    await _first_model(db_pool, plant)
    async with db_pool.connection() as conn:
        # A scheduled retraining at 09:00 learned the hour after the 08:00 restore,
        # but the old bearing's running before it too.
        filler = plant.placement_of("l1-filler").machine
        await train_machine_model(
            conn,
            plant,
            filler,
            AnomalySettings(),
            since=at(6),
            until=at(9),
            status=ModelStatus.ACTIVE,
            reason="scheduled",
        )
    await _file(db_pool, _report(at(8), monitored=True))

    await run_analytics_cycle(db_pool, plant, now=at(10))

    newest, *_ = await _versions(db_pool)
    assert newest[0] == 3 and newest[2].startswith("new baseline after the repair")


async def test_a_repair_replacing_no_monitored_part_keeps_the_learned_normal(
    db_pool: Pool, plant: Plant
) -> None:
    await _first_model(db_pool, plant)
    await _file(db_pool, _report(at(8), monitored=False))
    async with db_pool.connection() as conn:
        # Repaired at 08:00 as a milestone: that alone no longer resets the baseline.
        await conn.execute("UPDATE tickets SET status = 'repaired', resolved_at = %s", (at(8),))

    await run_analytics_cycle(db_pool, plant, now=at(10))

    assert [v for v, _, _ in await _versions(db_pool)] == [1]
