"""Checklist answers in the database: the tasks a ticket carries with their plan's task,
and answering an item again with the same answer changes nothing (migration 057)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file
from models.job_checklist import ChecklistAnswer, ChecklistOutcome
from models.plant import Plant
from storage import job_checklist_store, maintenance_store
from storage.asset_registry import sync_assets
from storage.connections import Pool
from tests.api.factories import insert_ticket

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).parents[2] / "config"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


async def _pm_ticket(pool: Pool, plant: Plant) -> tuple[int, int]:
    """A ticket carrying one occurrence of the filler's valve inspection."""
    await import_plan_file(pool, CONFIG_DIR / PLAN_FILE_NAME, at=T0)
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        occurrence = await maintenance_store.insert_occurrence(
            conn,
            machine_id="l1-filler",
            line_id="line-1",
            task_key="valve-inspection",
            sequence=1,
            due_at=T0 + timedelta(days=2),
            window=(T0 + timedelta(days=2), T0 + timedelta(days=2, hours=3)),
            stops_line=True,
            opened_at=T0,
        )
        assert occurrence is not None
        await maintenance_store.attach_ticket(conn, occurrence_id=occurrence.id, ticket_id=ticket)
    return ticket, occurrence.id


async def test_a_ticket_carries_its_occurrence_with_the_plans_task(
    db_pool: Pool, plant: Plant
) -> None:
    ticket, occurrence = await _pm_ticket(db_pool, plant)
    async with db_pool.connection() as conn:
        [(found, task)] = await job_checklist_store.ticket_tasks(conn, ticket_id=ticket)
        other = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        none = await job_checklist_store.ticket_tasks(conn, ticket_id=other)

    assert found.id == occurrence
    assert task is not None and task.key == "valve-inspection"
    assert task.checklist[0] == "Inspect valve seals for wear and leaks"
    assert none == []


async def test_the_same_answer_again_changes_nothing_and_another_replaces_it(
    db_pool: Pool, plant: Plant
) -> None:
    ticket, occurrence = await _pm_ticket(db_pool, plant)
    item = "Inspect valve seals for wear and leaks"
    async with db_pool.connection() as conn:

        async def answer(
            outcome: ChecklistOutcome, note: str, by: str, at: datetime
        ) -> tuple[ChecklistAnswer, bool]:
            return await job_checklist_store.record_answer(
                conn,
                ticket_id=ticket,
                occurrence_id=occurrence,
                position=1,
                item=item,
                outcome=outcome,
                note=note,
                by=by,
                at=at,
            )

        first, first_changed = await answer(ChecklistOutcome.OK, "", "demo-field-1", T0)
        again, again_changed = await answer(
            ChecklistOutcome.OK, "", "demo-field-1", T0 + timedelta(minutes=5)
        )
        later, later_changed = await answer(
            ChecklistOutcome.NOT_OK, "seal 7 leaks", "demo-field-1", T0 + timedelta(minutes=9)
        )
        stored = await job_checklist_store.answers(conn, ticket_id=ticket)

    assert first_changed and not again_changed and later_changed
    assert again == first  # who and when stay those of the first answer
    assert (later.outcome, later.note, later.answered_at) == (
        ChecklistOutcome.NOT_OK,
        "seal 7 leaks",
        T0 + timedelta(minutes=9),
    )
    assert stored == [later]


async def test_a_finding_without_a_note_is_refused_by_the_database(
    db_pool: Pool, plant: Plant
) -> None:
    ticket, occurrence = await _pm_ticket(db_pool, plant)
    async with db_pool.connection() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            await job_checklist_store.record_answer(
                conn,
                ticket_id=ticket,
                occurrence_id=occurrence,
                position=2,
                item="Check level probe calibration against the sight glass",
                outcome=ChecklistOutcome.NOT_OK,
                note="",
                by="demo-field-1",
                at=T0,
            )
