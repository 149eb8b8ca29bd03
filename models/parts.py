"""Spare parts: the catalogue, where a part fits, and the parts installed in machines.

A part number names one genuine part. ``fits`` lists the machine models and the
positions on them (e.g. ``FIL-12`` at ``main-drive``) where it may be installed.
A serialized part is tracked unit by unit; the others only by quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class PartClass(StrEnum):
    """How a part is stocked (DOMAIN.md: safety stock of critical, wear and common parts)."""

    CRITICAL = "critical"
    WEAR = "wear"
    COMMON = "common"


@dataclass(frozen=True, slots=True)
class PartFit:
    """A machine model and a position on it where the part may be installed."""

    machine_model: str
    position: str


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in an ISO 4217 currency; never mixed across currencies."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Part:
    """One catalogue entry; ``lead_time_days``: the supplier's delivery time."""

    part_number: str
    description: str
    part_class: PartClass
    serialized: bool
    unit_cost: Money
    supplier: str
    lead_time_days: int
    fits: tuple[PartFit, ...] = ()

    def fits_at(self, machine_model: str, position: str) -> bool:
        return PartFit(machine_model, position) in self.fits


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A part as stored, with who changed it last and when."""

    part: Part
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class InstalledPart:
    """A part in a machine at a position; ``serial`` is set exactly for serialized parts.

    ``removed_at`` is set once it came out (on ``removed_on_ticket``, for ``removal_reason``);
    removed rows stay as the machine's history.
    """

    machine_id: str
    position: str
    part_number: str
    serial: str | None
    quantity: int
    installed_at: datetime
    installed_on_ticket: int | None = None
    removed_at: datetime | None = None
    removed_on_ticket: int | None = None
    removal_reason: str | None = None
