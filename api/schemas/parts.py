"""The parts catalogue, a machine's installed parts, and a serialized unit's trace."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from models.parts import CatalogueEntry, InstalledPart, Money, Part, PartClass, PartFit
from models.stock import SerialState, SerialTrace, TraceEvent, TraceEventKind

_PART_EXAMPLE: dict[str, Any] = {
    "description": "Filler main drive bearing kit (2 angular contact bearings, seals, grease)",
    "part_class": "critical",
    "serialized": True,
    "unit_cost": "1480.00",
    "currency": "EUR",
    "supplier": "SKF Industrial Service",
    "lead_time_days": 21,
    "fits": [{"machine_model": "FIL-12", "position": "main-drive"}],
}


class PartFitBody(BaseModel):
    """A machine model and a position on it, e.g. ``FIL-12`` at ``main-drive``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    machine_model: str = Field(min_length=1, max_length=100)
    position: str = Field(min_length=1, max_length=100)


class PartBody(BaseModel):
    """A part's fields as the catalogue keeps them (PUT replaces them all)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_PART_EXAMPLE]},
    )

    description: str = Field(min_length=1, max_length=500)
    part_class: PartClass
    serialized: bool
    unit_cost: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    supplier: str = Field(min_length=1, max_length=200)
    lead_time_days: int = Field(ge=0, le=3650)
    fits: list[PartFitBody] = Field(default_factory=list, max_length=200)

    def part(self, part_number: str) -> Part:
        return Part(
            part_number=part_number,
            description=self.description,
            part_class=self.part_class,
            serialized=self.serialized,
            unit_cost=Money(self.unit_cost, self.currency),
            supplier=self.supplier,
            lead_time_days=self.lead_time_days,
            fits=tuple(dict.fromkeys(PartFit(f.machine_model, f.position) for f in self.fits)),
        )


class PartCreate(PartBody):
    """A new catalogue part: its number and its fields."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"part_number": "FIL12-BRG-KIT", **_PART_EXAMPLE}]}
    )

    part_number: str = Field(min_length=2, max_length=64, examples=["FIL12-BRG-KIT"])


class PartFitPublic(PublicModel):
    machine_model: str
    position: str


class PartPublic(PublicModel):
    part_number: str
    description: str
    part_class: PartClass
    serialized: bool
    unit_cost: Decimal
    currency: str
    supplier: str
    lead_time_days: int
    fits: list[PartFitPublic]
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, entry: CatalogueEntry) -> PartPublic:
        part = entry.part
        return cls(
            part_number=part.part_number,
            description=part.description,
            part_class=part.part_class,
            serialized=part.serialized,
            unit_cost=part.unit_cost.amount,
            currency=part.unit_cost.currency,
            supplier=part.supplier,
            lead_time_days=part.lead_time_days,
            fits=[
                PartFitPublic(machine_model=f.machine_model, position=f.position) for f in part.fits
            ],
            updated_at=entry.updated_at,
            updated_by=entry.updated_by,
        )


class InstalledPartPublic(PublicModel):
    """A part in the machine; ``removed_at`` and the removal fields only in the history."""

    machine_id: str
    position: str
    part_number: str
    description: str
    serial: str | None
    quantity: int
    installed_at: datetime
    installed_on_ticket: int | None
    removed_at: datetime | None
    removed_on_ticket: int | None
    removal_reason: str | None

    @classmethod
    def of(cls, item: InstalledPart, description: str) -> InstalledPartPublic:
        return cls(
            machine_id=item.machine_id,
            position=item.position,
            part_number=item.part_number,
            description=description,
            serial=item.serial,
            quantity=item.quantity,
            installed_at=item.installed_at,
            installed_on_ticket=item.installed_on_ticket,
            removed_at=item.removed_at,
            removed_on_ticket=item.removed_on_ticket,
            removal_reason=item.removal_reason,
        )


class TraceEventPublic(PublicModel):
    at: datetime
    kind: TraceEventKind
    actor: str | None
    store_id: str | None
    ticket_id: int | None
    machine_id: str | None
    position: str | None
    reason: str

    @classmethod
    def of(cls, event: TraceEvent) -> TraceEventPublic:
        return cls(
            at=event.at,
            kind=event.kind,
            actor=event.actor,
            store_id=event.store_id,
            ticket_id=event.ticket_id,
            machine_id=event.machine_id,
            position=event.position,
            reason=event.reason,
        )


class SerialTracePublic(PublicModel):
    """Where the unit is now (``state`` and its place), and its life, oldest step first."""

    part_number: str
    serial: str
    state: SerialState
    store_id: str | None
    ticket_id: int | None
    machine_id: str | None
    position: str | None
    events: list[TraceEventPublic]

    @classmethod
    def of(cls, trace: SerialTrace) -> SerialTracePublic:
        status = trace.status
        return cls(
            part_number=status.part_number,
            serial=status.serial,
            state=status.state,
            store_id=status.store_id,
            ticket_id=status.ticket_id,
            machine_id=status.machine_id,
            position=status.position,
            events=[TraceEventPublic.of(event) for event in trace.events],
        )


class ReplacementBody(BaseModel):
    """A part swapped at a machine position on a ticket; ``removed_serial`` names the unit
    that came out when it is serialized, ``serial`` the one that went in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": 42,
                    "machine_id": "l1-filler",
                    "position": "main-drive",
                    "removed_serial": "BRG-2023-0042",
                    "part_number": "FIL12-BRG-KIT",
                    "serial": "BRG-2026-0117",
                    "failure_reason": "outer race pitted",
                    "store_id": "van-demo-field-1",
                }
            ]
        },
    )

    ticket_id: int = Field(ge=1, le=2**63 - 1)
    machine_id: str = Field(min_length=1, max_length=200)
    position: str = Field(min_length=1, max_length=100)
    removed_serial: str | None = Field(default=None, min_length=1, max_length=100)
    part_number: str = Field(min_length=1, max_length=64)
    serial: str | None = Field(default=None, min_length=1, max_length=100)
    quantity: int = Field(default=1, ge=1, le=10_000)
    failure_reason: str = Field(min_length=1, max_length=2000)
    store_id: str = Field(min_length=1, max_length=100)


class ReplacementPublic(PublicModel):
    """What came out (None: the position was empty), what went in, and the issue booked
    (None: the unit had been issued on the ticket before)."""

    removed: InstalledPartPublic | None
    installed: InstalledPartPublic
    issue_entry_id: int | None
