"""A serialized unit's life in order: ledger movements and installations merged by time.

Pure: the storage layer reads the unit's ledger entries and installations and
hands them here. At the same instant the steps keep their natural order (issued
before installed, removed before returned).
"""

from __future__ import annotations

from models.parts import InstalledPart
from models.stock import LedgerEntry, MovementKind, TraceEvent, TraceEventKind

K = MovementKind
E = TraceEventKind

_FROM_LEDGER: dict[MovementKind, TraceEventKind] = {
    K.RECEIPT: E.RECEIVED,
    K.ISSUE: E.ISSUED,
    K.RETURN: E.RETURNED,
    K.REPAIR: E.REPAIRED,
    K.SCRAP: E.SCRAPPED,
    K.TRANSFER_OUT: E.TRANSFERRED,
    K.ADJUSTMENT: E.COUNTED,
}
_ORDER: dict[TraceEventKind, int] = {
    kind: rank
    for rank, kind in enumerate(
        (
            E.RECEIVED,
            E.COUNTED,
            E.TRANSFERRED,
            E.ISSUED,
            E.INSTALLED,
            E.REMOVED,
            E.RETURNED,
            E.REPAIRED,
            E.SCRAPPED,
        )
    )
}


def ledger_event(entry: LedgerEntry) -> TraceEvent | None:
    """The trace step of a ledger entry; None for a transfer's incoming half (told once)."""
    kind = _FROM_LEDGER.get(entry.kind)
    if kind is None:
        return None
    if kind is E.TRANSFERRED:
        emergency = "emergency transfer" if entry.emergency else "transfer"
        note = f"{emergency} from {entry.store_id}"
        return TraceEvent(
            at=entry.at,
            kind=kind,
            actor=entry.actor,
            store_id=entry.counterpart_store_id,
            ticket_id=entry.ticket_id,
            reason=f"{note}: {entry.reason}" if entry.reason else note,
        )
    return TraceEvent(
        at=entry.at,
        kind=kind,
        actor=entry.actor,
        store_id=entry.store_id,
        ticket_id=entry.ticket_id,
        reason=entry.reason,
    )


def installation_events(
    item: InstalledPart, installed_by: str | None, removed_by: str | None
) -> list[TraceEvent]:
    """The installation, and the removal once it came out."""
    events = [
        TraceEvent(
            at=item.installed_at,
            kind=E.INSTALLED,
            actor=installed_by,
            ticket_id=item.installed_on_ticket,
            machine_id=item.machine_id,
            position=item.position,
        )
    ]
    if item.removed_at is not None:
        events.append(
            TraceEvent(
                at=item.removed_at,
                kind=E.REMOVED,
                actor=removed_by,
                ticket_id=item.removed_on_ticket,
                machine_id=item.machine_id,
                position=item.position,
                reason=item.removal_reason or "",
            )
        )
    return events


def merged(
    entries: list[LedgerEntry],
    installations: list[tuple[InstalledPart, str | None, str | None]],
) -> tuple[TraceEvent, ...]:
    """All steps, oldest first."""
    events = [event for entry in entries if (event := ledger_event(entry)) is not None]
    for item, installed_by, removed_by in installations:
        events.extend(installation_events(item, installed_by, removed_by))
    return tuple(sorted(events, key=lambda event: (event.at, _ORDER[event.kind])))
