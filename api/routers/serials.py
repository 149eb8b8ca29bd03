"""/api/v1/serials: a serialized part's whole life, and replacing a part in a machine.

``GET /{part_number}/{serial}`` reads where the unit is and every step it took.
``POST /replacements`` books a part swap on a ticket (issue from the store, old unit
out with its failure reason, new unit in) in one transaction: a field engineer from
their own van, a parts manager or an administrator from any store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from alerts import part_replacement
from alerts.stock_ledger_rules import Refusal
from alerts.stock_permissions import may_book
from api.access_scope import not_found
from api.deps import ConnDep, CurrentUser
from api.parts_access import refused, require_staff
from api.schemas.parts import (
    InstalledPartPublic,
    ReplacementBody,
    ReplacementPublic,
    SerialTracePublic,
)
from api.ticket_clock import NowDep
from models.stock import MovementKind
from storage import stock_store

router = APIRouter(prefix="/serials", tags=["spare parts"])


@router.get("/{part_number}/{serial}")
async def serial_trace(
    part_number: Annotated[str, Path(min_length=1, max_length=64)],
    serial: Annotated[str, Path(min_length=1, max_length=100)],
    user: CurrentUser,
    conn: ConnDep,
) -> SerialTracePublic:
    """The unit's place now and its life: received, moved, issued on a ticket, installed,
    removed with the failure reason, returned, repaired or scrapped."""
    require_staff(user)
    trace = await part_replacement.serial_trace(conn, part_number=part_number, serial=serial)
    if trace is None:
        raise not_found("serial", f"{serial} of {part_number}")
    return SerialTracePublic.of(trace)


@router.post("/replacements", status_code=status.HTTP_201_CREATED, responses={409: {}})
async def book_replacement(
    body: ReplacementBody, user: CurrentUser, conn: ConnDep, now: NowDep
) -> ReplacementPublic:
    """Swap the part at the machine position; 409 with the reason when it does not add up
    (wrong serial, part does not fit, not in the store), and then nothing is booked."""
    require_staff(user)
    store = await stock_store.get_store(conn, store_id=body.store_id)
    if store is None:
        raise not_found("store", body.store_id)
    if not may_book(user, MovementKind.ISSUE, store):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a {user.role} may not issue parts from {store.id}"
        )
    await conn.commit()
    result = await part_replacement.book_replacement(
        conn,
        ticket_id=body.ticket_id,
        machine_id=body.machine_id,
        position=body.position,
        removed_serial=body.removed_serial,
        installed_part_number=body.part_number,
        installed_serial=body.serial,
        failure_reason=body.failure_reason,
        store_id=body.store_id,
        actor=user.login,
        at=now,
        quantity=body.quantity,
    )
    if isinstance(result, Refusal):
        raise refused(result)
    return ReplacementPublic(
        removed=InstalledPartPublic.of(result.removed, "") if result.removed else None,
        installed=InstalledPartPublic.of(result.installed, ""),
        issue_entry_id=result.issue.id if result.issue else None,
    )
