"""Live values and status pushed as Server-Sent Events, of a machine or of a whole line.

Each ``live`` event carries what GET /api/v1/machines/{id}/live answers, plus the
machine's status (api/schemas/live.py), and comes when something changed (a
line's stream sends its machines' events interleaved); a
comment line every ``HEARTBEAT_S`` keeps proxies from closing a quiet stream.
Access is checked before the first byte: another customer's machine is 404.

The user is read on a connection that goes back to the pool before streaming
starts (``get_current_user_released``): a request-scoped connection would stay
held for the whole stream, and a few dozen watchers would drain the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.access_scope import line_for, machine_for
from api.deps import PlantDep, get_current_user_released
from api.live_broadcast import broadcaster_of
from models.users import User

router = APIRouter(tags=["machines"])

HEARTBEAT_S = 15
_STREAM: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "description": "`live` events"}
}


@router.get(
    "/machines/{machine_id}/live/stream",
    response_class=EventSourceResponse,
    responses=_STREAM,
)
async def live_stream(
    machine_id: str,
    request: Request,
    user: Annotated[User, Depends(get_current_user_released)],
    plant: PlantDep,
) -> EventSourceResponse:
    """The machine's live values and status now, then again whenever they change."""
    machine_for(plant, user, machine_id)  # 404 before any byte is streamed
    updates = broadcaster_of(request.app).updates(machine_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for payload in updates:
            yield ServerSentEvent(data=payload, event="live")

    return EventSourceResponse(events(), ping=HEARTBEAT_S)


@router.get("/lines/{line_id}/live/stream", response_class=EventSourceResponse, responses=_STREAM)
async def line_live_stream(
    line_id: str,
    request: Request,
    user: Annotated[User, Depends(get_current_user_released)],
    plant: PlantDep,
) -> EventSourceResponse:
    """Every machine of the line: each one's live values and status now, then on change."""
    placement = line_for(plant, user, line_id)  # 404 before any byte is streamed
    broadcaster = broadcaster_of(request.app)
    machines = [machine.id for machine in placement.line.machines]

    async def events() -> AsyncIterator[ServerSentEvent]:
        # A full queue holds its machine's pump back; the broadcaster then hands that
        # pump the newest payload when it moves on, as it does for a slow stream.
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=len(machines))

        async def pump(machine_id: str) -> None:
            async for payload in broadcaster.updates(machine_id):
                await queue.put(payload)

        pumps = [asyncio.create_task(pump(machine)) for machine in machines]
        try:
            while True:
                yield ServerSentEvent(data=await queue.get(), event="live")
        finally:
            for task in pumps:
                task.cancel()
            for task in pumps:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return EventSourceResponse(events(), ping=HEARTBEAT_S)
