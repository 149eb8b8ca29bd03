"""Maintenance plans per machine model, their per-machine overrides, and task occurrences.

A plan (DOMAIN.md, "Preventive and predictive maintenance") lists tasks, each due
after an interval of calendar days, of running hours or of produced parts. Running
hours and parts come from the machine's own telemetry, so no one reads a meter.
Plans are read from ``config/maintenance_plans.yaml`` and can be edited through the
API; an override changes one task's interval, or disables it, for one machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import Field, model_validator

from models.frozen_model import Frozen

# Task keys end up in URLs and unique keys: short, lower case, no spaces.
TASK_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class IntervalKind(StrEnum):
    """What a task's interval counts."""

    CALENDAR_DAYS = "calendar_days"
    RUNNING_HOURS = "running_hours"
    PARTS = "parts"


class PartNeed(Frozen):
    """A part from the spare-parts catalogue the task needs, and how many."""

    part_number: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1)


class MaintenanceTask(Frozen):
    """One recurring piece of work on a machine model.

    ``first_interval`` is the run-in interval of a machine newly under the plan
    (the first oil change after commissioning comes early); None: ``interval``.
    """

    key: str = Field(pattern=TASK_KEY_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    interval_kind: IntervalKind
    interval: float = Field(gt=0)
    first_interval: float | None = Field(default=None, gt=0)
    checklist: tuple[str, ...] = ()
    duration_hours: float = Field(gt=0, le=24 * 14)
    stops_line: bool = False
    skills: tuple[str, ...] = ()
    parts: tuple[PartNeed, ...] = ()


class MaintenancePlan(Frozen):
    """The plan of one machine model.

    A ticket opens ``lead_days`` before a task's (projected) due date, and for a
    usage-based task also once ``usage_lead_share`` of its interval is used,
    whichever comes first.
    """

    machine_model: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    lead_days: float = Field(default=7.0, ge=0, le=365)
    usage_lead_share: float = Field(default=0.9, gt=0, le=1)
    tasks: tuple[MaintenanceTask, ...]

    @model_validator(mode="after")
    def _task_keys_unique(self) -> MaintenancePlan:
        keys = [t.key for t in self.tasks]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"task keys must be unique within a plan: {', '.join(doubled)}")
        return self

    def task(self, key: str) -> MaintenanceTask | None:
        return next((t for t in self.tasks if t.key == key), None)


class TaskOverride(Frozen):
    """One machine's exception to its model's plan: another interval, or none at all."""

    machine_id: str
    task_key: str
    interval: float | None = Field(default=None, gt=0)
    disabled: bool = False
    reason: str = Field(min_length=1, max_length=500)
    updated_by: str | None = None


class MaintenancePlanFile(Frozen):
    plans: tuple[MaintenancePlan, ...]
    overrides: tuple[TaskOverride, ...] = ()

    @model_validator(mode="after")
    def _one_plan_per_model(self) -> MaintenancePlanFile:
        models = [p.machine_model for p in self.plans]
        doubled = sorted({m for m in models if models.count(m) > 1})
        if doubled:
            raise ValueError(f"one plan per machine model: {', '.join(doubled)}")
        return self


def load_plan_file(path: Path) -> MaintenancePlanFile:
    """Read and validate the plan file; errors name the offending field."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return MaintenancePlanFile.model_validate(raw)


@dataclass(frozen=True, slots=True)
class MachineTask:
    """A task as it applies to one machine, after its override."""

    machine_id: str
    line_id: str
    task: MaintenanceTask
    lead_days: float
    usage_lead_share: float
    overridden: bool = False


class OccurrenceStatus(StrEnum):
    """A stored occurrence: its ticket is open, or the work was done, or skipped."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One due instance of a task on a machine, with its planned window and ticket.

    ``sequence`` counts the task's occurrences on the machine from 1; with the
    machine and task it is the unique key that lets only one ticket open for it.
    """

    id: int
    machine_id: str
    line_id: str
    task_key: str
    sequence: int
    due_at: datetime
    window_start: datetime
    window_end: datetime
    stops_line: bool
    ticket_id: int | None
    opened_at: datetime
    status: OccurrenceStatus
    closed_at: datetime | None = None
    closed_by: str | None = None
    skip_reason: str | None = None
    production_notice_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Running hours and produced parts (good and rejected) of a machine over a stretch."""

    running_hours: float = 0.0
    parts: float = 0.0


@dataclass(frozen=True, slots=True)
class PlannedWindow:
    """Planned maintenance of a machine; ``stops_line``: the whole line stands."""

    machine_id: str
    line_id: str
    start: datetime
    end: datetime
    stops_line: bool
