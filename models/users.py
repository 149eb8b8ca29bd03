"""Users of the API and console, and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a user does in LineCare (DOMAIN.md, "Who uses it")."""

    SUPPORT = "support"
    DESK = "desk"
    CUSTOMER = "customer"
    ADMIN = "admin"
    FIELD_ENGINEER = "field_engineer"
    PARTS_MANAGER = "parts_manager"


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person; ``customer_id`` is set exactly when the role is customer."""

    id: int
    login: str
    display_name: str
    role: Role
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class UserAccount:
    """A user as an administrator sees it: when it was created and whether it was revoked."""

    user: User
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the user's token still signs in."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A fixed demo account: its token is public on purpose."""

    token: str
    login: str
    display_name: str
    role: Role
    customer_id: str | None = None
