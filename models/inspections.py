"""Patrol inspections: checklist templates, and the records engineers fill in on site.

DOMAIN.md's inspection record form asks how the line is used and what the customer
noticed, the state of machines and wiring, hidden faults, parts due and routine
care done. Findings that need work can each open a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import Field, model_validator

from models.frozen_model import Frozen
from models.plant import Severity

ITEM_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class ItemKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    YES_NO = "yes_no"


YES_NO = ("yes", "no")


class ChecklistItem(Frozen):
    key: str = Field(pattern=ITEM_KEY_PATTERN)
    label: str = Field(min_length=1, max_length=300)
    kind: ItemKind = ItemKind.TEXT
    options: tuple[str, ...] = ()
    required: bool = False

    @model_validator(mode="after")
    def _choices_have_options(self) -> ChecklistItem:
        if (self.kind is ItemKind.CHOICE) != bool(self.options):
            raise ValueError(f"item {self.key!r}: options go with kind choice, and only there")
        return self

    def allowed(self) -> tuple[str, ...]:
        """The values a choice or yes/no item takes; empty for free text."""
        return YES_NO if self.kind is ItemKind.YES_NO else self.options


class InspectionTemplate(Frozen):
    key: str = Field(pattern=ITEM_KEY_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    items: tuple[ChecklistItem, ...] = Field(min_length=1)

    def item(self, key: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.key == key), None)


class InspectionTemplateFile(Frozen):
    templates: tuple[InspectionTemplate, ...]


def load_templates(path: Path) -> tuple[InspectionTemplate, ...]:
    """Read and validate the template file; errors name the offending field."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return InspectionTemplateFile.model_validate(raw).templates


@dataclass(frozen=True, slots=True)
class Answer:
    item: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """Something found on site; ``position`` numbers it within its inspection from 1."""

    position: int
    machine_id: str | None
    severity: Severity
    description: str
    needs_work: bool
    ticket_id: int | None = None


@dataclass(frozen=True, slots=True)
class InspectionDraft:
    customer_id: str
    site_id: str
    line_id: str
    template: str
    inspected_at: datetime
    inspector: str
    answers: tuple[Answer, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Inspection:
    id: int
    draft: InspectionDraft
