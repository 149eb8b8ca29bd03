"""The maintenance scheduler with a controlled clock: calendar, running-hour and part-count
intervals, projected due dates, lead times, overrides, production notice, calendar status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.maintenance_schedule import (
    CalendarStatus,
    estimate_due,
    later_dues,
    machine_tasks,
    occurrence_status,
    production_notice_due,
    usage_rate_per_day,
    window_for,
)
from models.maintenance import (
    IntervalKind,
    MachineTask,
    MaintenancePlan,
    MaintenanceTask,
    Occurrence,
    OccurrenceStatus,
    TaskOverride,
    Usage,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _task(kind: IntervalKind, interval: float, **extra: object) -> MaintenanceTask:
    return MaintenanceTask.model_validate(
        {
            "key": f"task-{kind.value.replace('_', '-')}",
            "title": "a task",
            "interval_kind": kind,
            "interval": interval,
            "duration_hours": 4,
            **extra,
        }
    )


def _plan(*tasks: MaintenanceTask, lead_days: float = 7, share: float = 0.9) -> MaintenancePlan:
    return MaintenancePlan(
        machine_model="FIL-12",
        name="filler",
        lead_days=lead_days,
        usage_lead_share=share,
        tasks=tasks,
    )


def _machine_task(task: MaintenanceTask, lead_days: float = 7) -> MachineTask:
    [machine_task] = machine_tasks(
        _plan(task, lead_days=lead_days), [], machine_id="l2-filler", line_id="line-2"
    )
    return machine_task


def test_calendar_task_is_due_its_interval_after_the_anchor() -> None:
    task = _machine_task(_task(IntervalKind.CALENDAR_DAYS, 365))
    estimate = estimate_due(
        task, anchor=T0, first=False, now=T0 + 100 * DAY, used_since_anchor=Usage(), rate_per_day=0
    )
    assert estimate.due_at == T0 + 365 * DAY
    assert estimate.used == pytest.approx(100)
    assert not estimate.open_ticket


def test_calendar_task_opens_its_ticket_lead_days_ahead() -> None:
    task = _machine_task(_task(IntervalKind.CALENDAR_DAYS, 30), lead_days=7)

    def opens_at(now: datetime) -> bool:
        return estimate_due(
            task, anchor=T0, first=False, now=now, used_since_anchor=Usage(), rate_per_day=0
        ).open_ticket

    assert not opens_at(T0 + 23 * DAY - timedelta(seconds=1))
    assert opens_at(T0 + 23 * DAY)


def test_first_occurrence_uses_the_run_in_interval() -> None:
    task = _machine_task(_task(IntervalKind.CALENDAR_DAYS, 90, first_interval=2))
    first = estimate_due(
        task, anchor=T0, first=True, now=T0, used_since_anchor=Usage(), rate_per_day=0
    )
    later = estimate_due(
        task, anchor=T0, first=False, now=T0, used_since_anchor=Usage(), rate_per_day=0
    )
    assert first.due_at == T0 + 2 * DAY
    assert later.due_at == T0 + 90 * DAY


def test_running_hours_due_date_is_projected_from_the_recent_rate() -> None:
    task = _machine_task(_task(IntervalKind.RUNNING_HOURS, 500), lead_days=7)
    now = T0 + 20 * DAY
    # 300 h used, 16 running hours a day lately: 200 h left is 12.5 days away.
    estimate = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=now,
        used_since_anchor=Usage(running_hours=300),
        rate_per_day=16,
    )
    assert estimate.due_at == now + timedelta(days=12.5)
    assert estimate.share_used == pytest.approx(0.6)
    assert not estimate.open_ticket


def test_running_hours_ticket_opens_within_lead_days_of_the_projection() -> None:
    task = _machine_task(_task(IntervalKind.RUNNING_HOURS, 500), lead_days=7)
    estimate = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=T0 + 25 * DAY,
        used_since_anchor=Usage(running_hours=400),
        rate_per_day=16,
    )
    assert estimate.due_at == T0 + 25 * DAY + timedelta(days=100 / 16)
    assert estimate.open_ticket


def test_usage_task_opens_at_its_share_even_without_a_rate() -> None:
    task = _machine_task(_task(IntervalKind.PARTS, 2_000_000), lead_days=0)
    below = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=T0 + 50 * DAY,
        used_since_anchor=Usage(parts=1_799_999),
        rate_per_day=0,
    )
    at_share = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=T0 + 50 * DAY,
        used_since_anchor=Usage(parts=1_800_000),
        rate_per_day=0,
    )
    assert below.due_at is None  # the machine stands: no date to project
    assert not below.open_ticket
    assert at_share.open_ticket


def test_parts_task_counts_parts_not_hours() -> None:
    task = _machine_task(_task(IntervalKind.PARTS, 1000), lead_days=0)
    estimate = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=T0,
        used_since_anchor=Usage(running_hours=10_000, parts=100),
        rate_per_day=300,
    )
    assert estimate.used == 100
    assert estimate.due_at == T0 + timedelta(days=3)


def test_overshot_usage_is_due_in_the_past() -> None:
    task = _machine_task(_task(IntervalKind.RUNNING_HOURS, 500))
    estimate = estimate_due(
        task,
        anchor=T0,
        first=False,
        now=T0 + 40 * DAY,
        used_since_anchor=Usage(running_hours=524),
        rate_per_day=24,
    )
    assert estimate.due_at == T0 + 39 * DAY
    assert estimate.open_ticket


def test_usage_rate_per_calendar_day() -> None:
    recent = Usage(running_hours=84, parts=700_000)
    assert usage_rate_per_day(IntervalKind.RUNNING_HOURS, recent, 7 * DAY) == 12
    assert usage_rate_per_day(IntervalKind.PARTS, recent, 7 * DAY) == 100_000
    assert usage_rate_per_day(IntervalKind.PARTS, recent, timedelta()) == 0


def test_override_changes_the_interval_for_one_machine_only() -> None:
    plan = _plan(_task(IntervalKind.RUNNING_HOURS, 500, first_interval=50))
    override = TaskOverride(
        machine_id="l2-filler", task_key=plan.tasks[0].key, interval=250, reason="dusty hall"
    )
    [mine] = machine_tasks(plan, [override], machine_id="l2-filler", line_id="line-2")
    [other] = machine_tasks(plan, [override], machine_id="l1-filler", line_id="line-1")
    assert mine.task.interval == 250
    assert mine.task.first_interval is None  # the override's interval holds from the start
    assert mine.overridden
    assert other.task.interval == 500
    assert not other.overridden


def test_override_disables_a_task_for_one_machine() -> None:
    plan = _plan(_task(IntervalKind.CALENDAR_DAYS, 365), _task(IntervalKind.PARTS, 1000))
    override = TaskOverride(
        machine_id="l2-filler", task_key=plan.tasks[0].key, disabled=True, reason="retired"
    )
    mine = machine_tasks(plan, [override], machine_id="l2-filler", line_id="line-2")
    assert [t.task.key for t in mine] == [plan.tasks[1].key]
    assert len(machine_tasks(plan, [override], machine_id="l1-filler", line_id="line-1")) == 2


def test_later_dues_step_by_the_interval() -> None:
    calendar = _machine_task(_task(IntervalKind.CALENDAR_DAYS, 30))
    hours = _machine_task(_task(IntervalKind.RUNNING_HOURS, 240))
    assert later_dues(calendar, after=T0, rate_per_day=0, until=T0 + 90 * DAY) == [
        T0 + 30 * DAY,
        T0 + 60 * DAY,
        T0 + 90 * DAY,
    ]
    assert later_dues(hours, after=T0, rate_per_day=24, until=T0 + 25 * DAY) == [
        T0 + 10 * DAY,
        T0 + 20 * DAY,
    ]
    assert later_dues(hours, after=T0, rate_per_day=0, until=T0 + 25 * DAY) == []


def _occurrence(**changes: object) -> Occurrence:
    task = _machine_task(_task(IntervalKind.CALENDAR_DAYS, 30, stops_line=True))
    start, end = window_for(task, T0 + 10 * DAY)
    fields: dict[str, object] = {
        "id": 1,
        "machine_id": "l2-filler",
        "line_id": "line-2",
        "task_key": task.task.key,
        "sequence": 1,
        "due_at": start,
        "window_start": start,
        "window_end": end,
        "stops_line": True,
        "ticket_id": 7,
        "opened_at": T0,
        "status": OccurrenceStatus.OPEN,
    }
    fields.update(changes)
    return Occurrence(**fields)  # type: ignore[arg-type]


def test_window_lasts_the_task_duration() -> None:
    occurrence = _occurrence()
    assert occurrence.window_end - occurrence.window_start == timedelta(hours=4)


def test_production_hears_three_days_before_a_line_stop_once() -> None:
    occurrence = _occurrence()
    assert not production_notice_due(occurrence, T0 + 7 * DAY - timedelta(seconds=1))
    assert production_notice_due(occurrence, T0 + 7 * DAY)
    assert not production_notice_due(_occurrence(production_notice_at=T0 + 7 * DAY), T0 + 8 * DAY)
    assert not production_notice_due(_occurrence(stops_line=False), T0 + 8 * DAY)


def test_calendar_status_of_stored_occurrences() -> None:
    window_end = T0 + 10 * DAY + timedelta(hours=4)
    assert occurrence_status(_occurrence(), T0 + DAY) == CalendarStatus.PLANNED
    assert occurrence_status(_occurrence(), window_end + timedelta(seconds=1)) == (
        CalendarStatus.OVERDUE
    )
    done = _occurrence(status=OccurrenceStatus.DONE, closed_at=window_end)
    late = _occurrence(status=OccurrenceStatus.DONE, closed_at=window_end + DAY)
    skipped = _occurrence(status=OccurrenceStatus.SKIPPED, closed_at=T0, skip_reason="no stop")
    assert occurrence_status(done, T0 + 30 * DAY) == CalendarStatus.DONE
    assert occurrence_status(late, T0 + 30 * DAY) == CalendarStatus.DONE_LATE
    assert occurrence_status(skipped, T0 + 30 * DAY) == CalendarStatus.SKIPPED


def test_plan_refuses_doubled_task_keys() -> None:
    task = _task(IntervalKind.CALENDAR_DAYS, 30)
    with pytest.raises(ValueError, match="unique"):
        _plan(task, task)


def test_shipped_plan_file_loads() -> None:
    from pathlib import Path

    from models.maintenance import load_plan_file

    plans = load_plan_file(Path(__file__).parents[2] / "config" / "maintenance_plans.yaml").plans
    filler = next(p for p in plans if p.machine_model == "FIL-12")
    kinds = {t.interval_kind for t in filler.tasks}
    assert kinds == set(IntervalKind)
    assert any(t.stops_line for t in filler.tasks)
