"""The maintenance job on real TimescaleDB: one ticket per occurrence even with two workers,
the production notice three days ahead, usage from stored OEE shifts, done and overdue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file, run_maintenance_cycle
from alerts.ticket_commands import move_ticket
from models.maintenance import IntervalKind, MaintenancePlan, MaintenanceTask, OccurrenceStatus
from models.notifications import Audience, NoticeKind
from models.oee import OeeResult, OeeScope
from models.plant import Line, Plant
from models.tickets import Channel, Ticket, TicketStatus, TicketType
from notifications.notification_job import derive_notices
from storage import maintenance_store
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.notification_store import list_deliveries
from storage.oee_store import upsert_oee
from storage.ticket_store import get_ticket, list_tickets, ticket_events
from storage.user_store import find_user_by_token, seed_demo_users

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _plan(*tasks: MaintenanceTask) -> MaintenancePlan:
    return MaintenancePlan(machine_model="FIL-12", name="filler", lead_days=7, tasks=tasks)


def _task(key: str, kind: IntervalKind, interval: float, *, stops_line: bool) -> MaintenanceTask:
    return MaintenanceTask(
        key=key,
        title=f"task {key}",
        interval_kind=kind,
        interval=interval,
        duration_hours=5,
        stops_line=stops_line,
        checklist=("check the seals",),
    )


@pytest.fixture
async def pool(db_pool: Pool, plant: Plant) -> Pool:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
    return db_pool


async def _with_plan(pool: Pool, plan: MaintenancePlan) -> None:
    async with pool.connection() as conn:
        await maintenance_store.import_plans(conn, plans=[plan], at=T0)


async def _cycle(pool: Pool, plant: Plant, now: datetime) -> list[str]:
    report = await run_maintenance_cycle(pool, plant, now=now, line=_line(plant))
    return list(report.opened)


def _line(plant: Plant, line_id: str = "line-2") -> Line:
    return next(line for _, _, line in plant.lines() if line.id == line_id)


async def _pm_tickets(pool: Pool) -> list[Ticket]:
    async with pool.connection() as conn:
        tickets = await list_tickets(conn, scope=EVERY_CUSTOMER)
    return [t for t in tickets if t.draft.ticket_type is TicketType.PREVENTIVE_MAINTENANCE]


async def test_calendar_task_opens_one_ticket_lead_days_before_due(
    pool: Pool, plant: Plant
) -> None:
    await _with_plan(
        pool, _plan(_task("inspect", IntervalKind.CALENDAR_DAYS, 10, stops_line=False))
    )
    assert await _cycle(pool, plant, T0) == []  # tracking starts: due on day 10
    assert await _cycle(pool, plant, T0 + 3 * DAY - timedelta(seconds=1)) == []
    [number] = await _cycle(pool, plant, T0 + 3 * DAY)
    assert await _cycle(pool, plant, T0 + 4 * DAY) == []  # the occurrence is open already
    [ticket] = await _pm_tickets(pool)
    assert ticket.number == number
    assert ticket.draft.machine_id == "l2-filler"
    assert ticket.draft.channel is Channel.MAINTENANCE_PLAN
    assert ticket.draft.created_by is None
    assert ticket.draft.expected_resolution == T0 + 10 * DAY + timedelta(hours=5)
    assert "check the seals" in ticket.draft.symptoms


async def test_two_concurrent_workers_open_one_ticket_per_occurrence(
    pool: Pool, plant: Plant
) -> None:
    await _with_plan(
        pool,
        _plan(
            _task("inspect", IntervalKind.CALENDAR_DAYS, 5, stops_line=True),
            _task("annual", IntervalKind.CALENDAR_DAYS, 6, stops_line=False),
        ),
    )
    await _cycle(pool, plant, T0)  # both tasks due within the 7-day lead
    # Later cycles racing each other find both occurrences open: nothing more opens.
    tickets = await _pm_tickets(pool)
    assert len(tickets) == 2
    for _ in range(3):
        results = await asyncio.gather(_cycle(pool, plant, T0 + DAY), _cycle(pool, plant, T0 + DAY))
        assert list(results) == [[], []]
    assert len(await _pm_tickets(pool)) == 2


async def test_racing_first_cycles_open_each_occurrence_once(pool: Pool, plant: Plant) -> None:
    await _with_plan(pool, _plan(_task("inspect", IntervalKind.CALENDAR_DAYS, 5, stops_line=True)))
    results = await asyncio.gather(*(_cycle(pool, plant, T0) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert len(await _pm_tickets(pool)) == 1


async def test_production_hears_three_days_before_the_line_stops(pool: Pool, plant: Plant) -> None:
    await _with_plan(pool, _plan(_task("inspect", IntervalKind.CALENDAR_DAYS, 10, stops_line=True)))
    await _cycle(pool, plant, T0)
    await _cycle(pool, plant, T0 + 3 * DAY)  # ticket opens, window on day 10
    await _cycle(pool, plant, T0 + 7 * DAY - timedelta(minutes=1))
    [ticket] = await _pm_tickets(pool)

    async def notices() -> list[datetime]:
        async with pool.connection() as conn:
            events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
        return [e.at for e in events if e.kind == "production_notice"]

    assert await notices() == []
    await _cycle(pool, plant, T0 + 7 * DAY)
    await _cycle(pool, plant, T0 + 8 * DAY)
    assert await notices() == [T0 + 7 * DAY]


async def test_running_hours_come_from_stored_oee_shifts(pool: Pool, plant: Plant) -> None:
    await _with_plan(
        pool, _plan(_task("grease", IntervalKind.RUNNING_HOURS, 100, stops_line=False))
    )
    await _cycle(pool, plant, T0)
    # Five days of two 8-hour shifts at 7 running hours each: 70 h of the 100.
    results = [
        _shift("l2-filler", T0 + d * DAY + h * timedelta(hours=8), running_h=7)
        for d in range(5)
        for h in range(2)
    ]
    async with pool.connection() as conn:
        await upsert_oee(conn, results=results)
        used = await maintenance_store.usage_between(
            conn, machine_id="l2-filler", since=T0, until=T0 + 5 * DAY
        )
    assert used.running_hours == pytest.approx(70)
    assert used.parts == pytest.approx(10 * 1000)
    # 70 h of 100 in 5 days (14 h a day): 30 h left, 2.1 days ahead, within the lead.
    [number] = await _cycle(pool, plant, T0 + 5 * DAY)
    async with pool.connection() as conn:
        [occurrence] = await maintenance_store.open_occurrences(conn, machine_ids=["l2-filler"])
    assert occurrence.due_at == T0 + 5 * DAY + timedelta(days=30 / 14)
    assert number


async def test_ticket_done_records_the_task_and_the_next_counts_from_then(
    pool: Pool, plant: Plant
) -> None:
    await _with_plan(
        pool, _plan(_task("inspect", IntervalKind.CALENDAR_DAYS, 10, stops_line=False))
    )
    await _cycle(pool, plant, T0)
    await _cycle(pool, plant, T0 + 3 * DAY)
    [ticket] = await _pm_tickets(pool)
    async with pool.connection() as conn:
        desk = await find_user_by_token(conn, token="demo-desk")
        assert desk is not None
        moved = await move_ticket(
            conn,
            ticket_id=ticket.id,
            target=TicketStatus.ARCHIVED,
            user=desk,
            reason="inspected during the brewery's own shutdown",
            expected_status=None,
            at=T0 + 12 * DAY,
        )
        assert isinstance(moved, Ticket)
    report = await run_maintenance_cycle(pool, plant, now=T0 + 12 * DAY, line=_line(plant))
    assert len(report.done) == 1
    async with pool.connection() as conn:
        latest = await maintenance_store.latest_occurrence(
            conn, machine_id="l2-filler", task_key="inspect"
        )
        refreshed = await get_ticket(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert latest is not None and latest.status is OccurrenceStatus.DONE
    assert latest.closed_at == T0 + 12 * DAY  # after its window: done late
    assert refreshed is not None
    # The next occurrence counts from the completion: due on day 22, opens on day 15.
    assert await _cycle(pool, plant, T0 + 15 * DAY - timedelta(seconds=1)) == []
    assert len(await _cycle(pool, plant, T0 + 15 * DAY)) == 1


def _shift(machine_id: str, start: datetime, *, running_h: float) -> OeeResult:
    return OeeResult(
        scope=OeeScope.MACHINE,
        subject_id=machine_id,
        shift_name="early",
        shift_start=start,
        shift_end=start + timedelta(hours=8),
        planned_busy_s=8 * 3600,
        running_s=running_h * 3600,
        setup_s=0,
        breakdown_s=0,
        stop_s=0,
        idle_s=0,
        unknown_s=0,
        good_count=990,
        reject_count=10,
        ideal_output_s=running_h * 3600,
        availability=running_h / 8,
        performance=1,
        quality=0.99,
        oee=running_h / 8 * 0.99,
        performance_flagged=False,
    )


async def test_the_shipped_plans_put_line_2s_next_maintenance_in_the_demos_first_days(
    pool: Pool, plant: Plant
) -> None:
    config = Path(__file__).parents[2] / "config"
    imported = await import_plan_file(pool, config / PLAN_FILE_NAME, at=T0)
    assert imported == ["FIL-12", "CAP-6", "LAB-2"]
    line_1 = await run_maintenance_cycle(pool, plant, now=T0, line=_line(plant, "line-1"))
    line_2 = await run_maintenance_cycle(pool, plant, now=T0, line=_line(plant, "line-2"))
    assert line_1.opened == ()  # its filler follows the 90-day interval (file override)
    [number] = line_2.opened
    async with pool.connection() as conn:
        [occurrence] = await maintenance_store.open_occurrences(conn, machine_ids=["l2-filler"])
    assert occurrence.task_key == "valve-inspection"
    assert occurrence.window_start == T0 + 2 * DAY
    assert occurrence.stops_line
    assert number
    # Importing again changes nothing: what the API edited stays.
    assert await import_plan_file(pool, config / PLAN_FILE_NAME, at=T0 + DAY) == []


async def test_the_notification_job_queues_the_production_notice_for_the_customer(
    pool: Pool, plant: Plant
) -> None:
    await _with_plan(pool, _plan(_task("inspect", IntervalKind.CALENDAR_DAYS, 2, stops_line=True)))
    report = await run_maintenance_cycle(pool, plant, now=T0, line=_line(plant))
    assert len(report.announced) == 1  # two days ahead: production hears at once

    await derive_notices(pool, staff_emails=("desk@linecare.example",), now=T0)

    [ticket] = await _pm_tickets(pool)
    async with pool.connection() as conn:
        deliveries = await list_deliveries(conn, scope=EVERY_CUSTOMER, ticket_id=ticket.id)
    notices = [d.notice for d in deliveries if d.notice.kind is NoticeKind.PRODUCTION_NOTICE]
    assert {(n.audience, n.email_to) for n in notices} == {
        (Audience.CUSTOMER, "a.keller@nordbrau.example"),
        (Audience.STAFF, "desk@linecare.example"),
    }
    [customer] = [n for n in notices if n.audience is Audience.CUSTOMER]
    assert "Filling line 2 stops for planned maintenance" in customer.body
