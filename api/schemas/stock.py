"""Stores, stock levels, ledger entries, movements to book, and requisitions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.region_names import region_name
from api.schemas.base import PublicModel
from models.stock import (
    LedgerEntry,
    LowStockWarning,
    MovementKind,
    MovementRequest,
    Requisition,
    RequisitionStatus,
    StockLevel,
    Store,
    StoreKind,
)

_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


class StoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID, examples=["regional-hamburg"])
    name: str = Field(min_length=1, max_length=200)
    kind: StoreKind
    region: str = Field(default="", max_length=100)
    owner_login: str | None = Field(default=None, max_length=200)

    def store(self) -> Store:
        return Store(self.id, self.name, self.kind, self.region, self.owner_login)


class StorePublic(PublicModel):
    id: str
    name: str
    kind: StoreKind
    region: str
    region_name: str = Field(description="The region as people read it")
    owner_login: str | None

    @classmethod
    def of(cls, store: Store) -> StorePublic:
        return cls(
            id=store.id,
            name=store.name,
            kind=store.kind,
            region=store.region,
            region_name=region_name(store.region) if store.region else "",
            owner_login=store.owner_login,
        )


class StockLevelPublic(PublicModel):
    """``available``: on hand less reserved; ``below_safety_stock`` is the low-stock warning."""

    store_id: str
    part_number: str
    on_hand: int
    reserved: int
    available: int
    faulty: int
    safety_stock: int
    reorder_point: int
    below_safety_stock: bool
    at_reorder_point: bool

    @classmethod
    def of(cls, level: StockLevel) -> StockLevelPublic:
        return cls(
            store_id=level.store_id,
            part_number=level.part_number,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            faulty=level.faulty,
            safety_stock=level.safety_stock,
            reorder_point=level.reorder_point,
            below_safety_stock=level.below_safety_stock,
            at_reorder_point=level.at_reorder_point,
        )


class ThresholdsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    safety_stock: int = Field(ge=0, le=1_000_000)
    reorder_point: int = Field(ge=0, le=1_000_000)


class LowStockPublic(PublicModel):
    level: StockLevelPublic
    open_requisition_id: int | None

    @classmethod
    def of(cls, warning: LowStockWarning) -> LowStockPublic:
        return cls(
            level=StockLevelPublic.of(warning.level),
            open_requisition_id=warning.open_requisition_id,
        )


class MovementBody(BaseModel):
    """A movement to book. ``quantity`` is positive, except for an adjustment (the signed
    difference the count found). ``faulty``: a return of a failed unit, or a scrap or
    transfer of faulty units. ``to_store_id`` only for a transfer (kind transfer_out)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "reservation",
                    "store_id": "central",
                    "part_number": "FIL12-VALVE-SEAL",
                    "quantity": 2,
                    "ticket_id": 42,
                    "reason": "for the filler's valve service on Thursday",
                },
                {
                    "kind": "transfer_out",
                    "store_id": "central",
                    "part_number": "FIL12-VALVE-SEAL",
                    "quantity": 4,
                    "to_store_id": "regional-hamburg",
                    "reason": "refill safety stock",
                },
            ]
        },
    )

    kind: MovementKind
    store_id: str = Field(min_length=1, max_length=100)
    part_number: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=-1_000_000, le=1_000_000)
    ticket_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    serial: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str = Field(default="", max_length=2000)
    faulty: bool = False
    to_store_id: str | None = Field(default=None, min_length=1, max_length=100)
    emergency: bool = False

    def request(self) -> MovementRequest:
        return MovementRequest(
            kind=self.kind,
            store_id=self.store_id,
            part_number=self.part_number,
            quantity=self.quantity,
            ticket_id=self.ticket_id,
            serial=self.serial,
            reason=self.reason,
            faulty=self.faulty,
            to_store_id=self.to_store_id,
            emergency=self.emergency,
        )


class LedgerEntryPublic(PublicModel):
    id: int
    kind: MovementKind
    store_id: str
    part_number: str
    quantity: int
    on_hand_delta: int
    reserved_delta: int
    faulty_delta: int
    at: datetime
    actor: str
    ticket_id: int | None
    serial: str | None
    reason: str
    counterpart_store_id: str | None
    emergency: bool
    requisition_id: int | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryPublic:
        return cls(
            id=entry.id,
            kind=entry.kind,
            store_id=entry.store_id,
            part_number=entry.part_number,
            quantity=entry.quantity,
            on_hand_delta=entry.deltas.on_hand,
            reserved_delta=entry.deltas.reserved,
            faulty_delta=entry.deltas.faulty,
            at=entry.at,
            actor=entry.actor,
            ticket_id=entry.ticket_id,
            serial=entry.serial,
            reason=entry.reason,
            counterpart_store_id=entry.counterpart_store_id,
            emergency=entry.emergency,
            requisition_id=entry.requisition_id,
        )


class BookingPublic(PublicModel):
    """What a booking wrote, the levels after it, and whether they fell below safety stock."""

    entries: list[LedgerEntryPublic]
    levels: list[StockLevelPublic]
    low_stock_warnings: list[str]


class RequisitionBody(BaseModel):
    """Parts asked into ``store_id``: from ``from_store_id`` (a transfer) or, without it,
    from the supplier (a receipt order)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "part_number": "FIL12-BRG-KIT",
                    "quantity": 1,
                    "purpose": "bearing swap on ticket 42",
                    "store_id": "van-demo-field-1",
                    "from_store_id": "regional-hamburg",
                    "ticket_id": 42,
                    "emergency": True,
                }
            ]
        },
    )

    part_number: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    purpose: str = Field(min_length=1, max_length=2000)
    store_id: str = Field(min_length=1, max_length=100)
    from_store_id: str | None = Field(default=None, min_length=1, max_length=100)
    ticket_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    emergency: bool = False


class DecisionBody(BaseModel):
    """Approve or reject a pending requisition, with a note why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"approve": True, "note": "urgent: line down"}]},
    )

    approve: bool
    note: str = Field(default="", max_length=2000)


class ReceiptBody(BaseModel):
    """The serials of the units received, one per unit, for a serialized part."""

    model_config = ConfigDict(extra="forbid")

    serials: list[str] = Field(default_factory=list, max_length=10_000)


class RequisitionPublic(PublicModel):
    id: int
    part_number: str
    quantity: int
    purpose: str
    store_id: str
    from_store_id: str | None
    ticket_id: int | None
    customer_id: str | None
    emergency: bool
    status: RequisitionStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    expected_at: datetime | None

    @classmethod
    def of(cls, r: Requisition) -> RequisitionPublic:
        return cls(
            id=r.id,
            part_number=r.part_number,
            quantity=r.quantity,
            purpose=r.purpose,
            store_id=r.store_id,
            from_store_id=r.from_store_id,
            ticket_id=r.ticket_id,
            customer_id=r.customer_id,
            emergency=r.emergency,
            status=r.status,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_note=r.decision_note,
            expected_at=r.expected_at,
        )
