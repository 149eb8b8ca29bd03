"""Access to spare parts for the routers: staff read, parts authority writes.

Stock, the catalogue, the ledger and requisitions are closed to customers as a
whole (403: the role may not use the resource, which reveals nothing about
another customer). A machine's installed parts follow the machine: another
customer's machine answers 404 (``access_scope.machine_for``).
"""

from __future__ import annotations

from fastapi import HTTPException, status

from alerts.stock_ledger_rules import Refusal
from alerts.stock_permissions import is_staff, may_manage_parts
from models.users import User


def require_staff(user: User) -> None:
    if not is_staff(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "spare parts and stock are for staff only")


def require_parts_authority(user: User) -> None:
    if not may_manage_parts(user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only a parts manager or an administrator may change this",
        )


def refused(refusal: Refusal) -> HTTPException:
    """A booking or decision the rules refused: 409 with the reason."""
    return HTTPException(status.HTTP_409_CONFLICT, f"Refused: {refusal.message}.")
