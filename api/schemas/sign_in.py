"""Sign-in, tokens, API keys and the audit log as the API speaks them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from api.schemas.users import UserPublic
from models.credentials import ApiKey, ApiKeyAccess, AuditEntry, AuditEvent


class Credentials(BaseModel):
    """A login and its password."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"login": "demo-desk", "password": "linecare-demo"}]},
    )

    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class SignedIn(PublicModel):
    """The console's session started; the cookie carries it."""

    user: UserPublic
    expires_at: datetime
    idle_timeout_s: int


class TokenPair(PublicModel):
    """An access token to send as `Authorization: Bearer`, and the refresh token that
    gets the next one (once: each refresh answers a new pair)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds the refresh token is valid")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class ApiKeyCreate(BaseModel):
    """A new API key; ``login`` only for administrators creating one for another user."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "MES export", "access": "read_only", "customer_id": None}]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    access: ApiKeyAccess = ApiKeyAccess.READ_ONLY
    customer_id: str | None = Field(default=None, max_length=100)
    login: str | None = Field(default=None, max_length=254)


class ApiKeyPublic(PublicModel):
    id: int
    owner_login: str
    name: str
    access: ApiKeyAccess
    customer_id: str | None
    personal: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls(
            id=key.id,
            owner_login=key.owner_login,
            name=key.name,
            access=key.access,
            customer_id=key.customer_id,
            personal=key.personal,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(PublicModel):
    """The new key, shown only in this answer: only its digest is kept."""

    api_key: ApiKeyPublic
    key: str


class AuditEntryPublic(PublicModel):
    id: int
    at: datetime
    event: AuditEvent
    actor_login: str | None
    subject_login: str | None
    client_address: str | None
    detail: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            id=entry.id,
            at=entry.at,
            event=entry.event,
            actor_login=entry.actor_login,
            subject_login=entry.subject_login,
            client_address=entry.client_address,
            detail=entry.detail,
        )


class AuditPage(PublicModel):
    """Entries newest first; ``next_before_id`` asks for the next page (None: no more)."""

    entries: list[AuditEntryPublic]
    next_before_id: int | None
