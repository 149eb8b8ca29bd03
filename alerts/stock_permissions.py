"""Who may read and change the catalogue, the stock and the requisitions.

Customers never see stock or the catalogue: to them these resources do not exist
(403, since the whole resource is closed to the role, not one customer's record).
A field engineer books the work on their own van; parts managers and
administrators book anything; the desk and support reserve parts for tickets.
"""

from __future__ import annotations

from models.stock import MovementKind, Store
from models.users import Role, User

K = MovementKind

STAFF: frozenset[Role] = frozenset(
    {Role.DESK, Role.SUPPORT, Role.ADMIN, Role.FIELD_ENGINEER, Role.PARTS_MANAGER}
)
# Catalogue edits, store thresholds, decisions on requisitions.
PARTS_AUTHORITY: frozenset[Role] = frozenset({Role.ADMIN, Role.PARTS_MANAGER})
_RESERVING = frozenset({K.RESERVATION, K.RELEASE})
_ON_OWN_VAN = frozenset({K.RESERVATION, K.RELEASE, K.ISSUE, K.RETURN})


def is_staff(user: User) -> bool:
    return user.role in STAFF


def may_manage_parts(user: User) -> bool:
    return user.role in PARTS_AUTHORITY


def may_book(user: User, kind: MovementKind, store: Store) -> bool:
    """Whether the user may book this kind of movement in this store."""
    if user.role in PARTS_AUTHORITY:
        return True
    if user.role in (Role.DESK, Role.SUPPORT):
        return kind in _RESERVING
    if user.role is Role.FIELD_ENGINEER:
        return kind in _ON_OWN_VAN and store.owner_login == user.login
    return False
