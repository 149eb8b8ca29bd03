"""Credentials and the audit log: API keys, their scopes, and what the log records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ApiKeyAccess(StrEnum):
    """What an API key may do, within its owner's role (docs/access.md)."""

    # Everything its owner's role may do.
    FULL = "full"
    # Only reading: GET and HEAD.
    READ_ONLY = "read_only"
    # Reading, and changing tickets (everything under /api/tickets).
    TICKETS_WRITE = "tickets_write"


class CredentialKind(StrEnum):
    """How a request proved who it comes from."""

    SESSION = "session"
    ACCESS_TOKEN = "access_token"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as its owner and administrators see it; the key itself is never kept."""

    id: int
    owner_login: str
    name: str
    access: ApiKeyAccess
    customer_id: str | None
    personal: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """The limits an API key puts on the user it signs in."""

    key_id: int
    access: ApiKeyAccess
    customer_id: str | None


class AuditEvent(StrEnum):
    """The kinds of entries in the audit log."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKOUT = "lockout"
    SIGN_OUT = "sign_out"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REFRESHED = "token_refreshed"
    REFRESH_REUSED = "refresh_reused"
    PASSWORD_CHANGED = "password_changed"
    API_KEY_CREATED = "api_key_created"
    API_KEY_REVOKED = "api_key_revoked"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"
    USER_REVOKED = "user_revoked"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    event: AuditEvent
    actor_login: str | None
    subject_login: str | None
    client_address: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An entry about to be written."""

    event: AuditEvent
    subject_login: str | None
    actor_login: str | None = None
    client_address: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How long sign-ins last and how failed ones are limited (settings, docs/access.md)."""

    cookie_secure: bool
    session_lifetime: timedelta
    session_idle_timeout: timedelta
    access_token_lifetime: timedelta
    refresh_token_lifetime: timedelta
    max_failures_per_login: int
    max_failures_per_address: int
    failure_window: timedelta
    lockout: timedelta
