"""Stores, stock levels, the stock ledger, serial states and requisitions.

Every movement of stock is one ledger entry (two for a transfer: out of one
store, into the other). A level is the sum of its entries: ``on_hand`` are the
serviceable units on the shelf, ``reserved`` the part of them held for tickets,
``faulty`` the units returned faulty and waiting for repair or scrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class StoreKind(StrEnum):
    CENTRAL = "central"
    REGIONAL = "regional"
    VAN = "van"


@dataclass(frozen=True, slots=True)
class Store:
    """A place that holds stock; a van belongs to one field engineer (``owner_login``)."""

    id: str
    name: str
    kind: StoreKind
    region: str = ""
    owner_login: str | None = None


class MovementKind(StrEnum):
    """What a ledger entry books (see docs/spare_parts.md for each one's effect)."""

    RECEIPT = "receipt"
    RESERVATION = "reservation"
    RELEASE = "release"
    ISSUE = "issue"
    RETURN = "return"
    REPAIR = "repair"
    SCRAP = "scrap"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class Deltas:
    """How one entry changes a level."""

    on_hand: int = 0
    reserved: int = 0
    faulty: int = 0


@dataclass(frozen=True, slots=True)
class StockLevel:
    """One part in one store, with its thresholds."""

    store_id: str
    part_number: str
    on_hand: int = 0
    reserved: int = 0
    faulty: int = 0
    safety_stock: int = 0
    reorder_point: int = 0

    @property
    def available(self) -> int:
        """Serviceable units nobody has reserved."""
        return self.on_hand - self.reserved

    @property
    def below_safety_stock(self) -> bool:
        return self.on_hand < self.safety_stock

    @property
    def at_reorder_point(self) -> bool:
        return self.on_hand <= self.reorder_point and self.reorder_point > 0


@dataclass(frozen=True, slots=True)
class MovementRequest:
    """A movement someone asks to book, before the rules have checked it.

    ``quantity`` is positive, except for an adjustment, where it is the signed
    difference between the count and the books. ``faulty``: a return of a unit that
    failed (it goes to the faulty units), or a scrap taken from the faulty units.
    """

    kind: MovementKind
    store_id: str
    part_number: str
    quantity: int
    ticket_id: int | None = None
    serial: str | None = None
    reason: str = ""
    faulty: bool = False
    to_store_id: str | None = None
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One booked movement; entries are never changed or deleted."""

    id: int
    kind: MovementKind
    store_id: str
    part_number: str
    quantity: int
    deltas: Deltas
    at: datetime
    actor: str
    ticket_id: int | None = None
    serial: str | None = None
    reason: str = ""
    counterpart_store_id: str | None = None
    emergency: bool = False
    requisition_id: int | None = None


class SerialState(StrEnum):
    """Where one unit of a serialized part is now."""

    IN_STORE = "in_store"
    FAULTY_IN_STORE = "faulty_in_store"
    ISSUED = "issued"
    INSTALLED = "installed"
    REMOVED = "removed"
    SCRAPPED = "scrapped"


@dataclass(frozen=True, slots=True)
class SerialStatus:
    """The current place of a serialized unit: a store, a ticket, or a machine position."""

    part_number: str
    serial: str
    state: SerialState
    store_id: str | None = None
    ticket_id: int | None = None
    machine_id: str | None = None
    position: str | None = None


class TraceEventKind(StrEnum):
    RECEIVED = "received"
    ISSUED = "issued"
    INSTALLED = "installed"
    REMOVED = "removed"
    RETURNED = "returned"
    REPAIRED = "repaired"
    SCRAPPED = "scrapped"
    TRANSFERRED = "transferred"
    COUNTED = "counted"


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One step in a serialized unit's life, oldest first in a trace."""

    at: datetime
    kind: TraceEventKind
    actor: str | None
    store_id: str | None = None
    ticket_id: int | None = None
    machine_id: str | None = None
    position: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SerialTrace:
    """A serialized unit's whole life and where it is now."""

    status: SerialStatus
    events: tuple[TraceEvent, ...]


class RequisitionStatus(StrEnum):
    """pending → approved (a transfer was booked) or ordered → received, or rejected."""

    PENDING = "pending"
    APPROVED = "approved"
    ORDERED = "ordered"
    RECEIVED = "received"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Requisition:
    """A request for parts into ``store_id``: from ``from_store_id`` as a transfer, or
    (None) from the supplier as a receipt order, expected after the part's lead time."""

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
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    expected_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LowStockWarning:
    """A level below its safety stock, with the requisition already open for it, if any."""

    level: StockLevel
    open_requisition_id: int | None
