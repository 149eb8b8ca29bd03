"""The common base of every response model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PublicModel(BaseModel):
    """Immutable, and strict about unknown fields, so a typo cannot slip into a response."""

    model_config = ConfigDict(frozen=True, extra="forbid")
