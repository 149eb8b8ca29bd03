"""The health answer: is the service up, can it reach its database, what time is it in the plant."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from api.schemas.base import PublicModel


class HealthPublic(PublicModel):
    status: Literal["ok", "degraded"]
    database: bool
    # The newest sample time: the plant's clock, which may run ahead of the wall clock.
    plant_time: datetime | None
