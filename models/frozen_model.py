"""The base of every plant-file model: immutable, and strict about unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    # A typo in the plant file must fail loudly at start-up, not be ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")
