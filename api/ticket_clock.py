""" "Now" for the service desk: the wall clock, or the plant's clock when it runs ahead.

A simulated or replayed plant stamps tickets with its own time, which may run
ahead of the wall clock; people's actions and SLA countdowns must not fall
before a ticket's receipt. Tests set ``app.state.ticket_clock`` to fix the time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from api.deps import ConnDep
from storage.plant_clock import latest_telemetry_time


async def service_now(request: Request, conn: ConnDep) -> datetime:
    """The later of the wall clock and the newest telemetry time, or the app's fixed clock."""
    fixed: Callable[[], datetime] | None = getattr(request.app.state, "ticket_clock", None)
    if fixed is not None:
        return fixed()
    wall = datetime.now(UTC)
    plant = await latest_telemetry_time(conn)
    return max(wall, plant) if plant is not None else wall


NowDep = Annotated[datetime, Depends(service_now)]
