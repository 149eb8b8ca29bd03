"""The health answer: up or down for anyone; the database and the plant's time for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.base import PublicModel


class HealthPublic(PublicModel):
    """All that a caller who is not signed in as staff learns."""

    status: Literal["up", "down"] = Field(description="down: the database cannot be reached")


class HealthDetailPublic(HealthPublic):
    """What signed-in staff learn besides."""

    database: bool
    # The newest sample time: the plant's clock, which may run ahead of the wall clock.
    plant_time: datetime | None
