"""GET /api/machines/{id}/live/stream: live values and status pushed as Server-Sent Events.

Each ``live`` event carries what GET /api/machines/{id}/live answers, plus the
machine's status (api/schemas/live.py), and comes when something changed; a
comment line every ``HEARTBEAT_S`` keeps proxies from closing a quiet stream.
Access is checked before the first byte: another customer's machine is 404.

The user is read on a connection that goes back to the pool before streaming
starts (``get_current_user_released``): a request-scoped connection would stay
held for the whole stream, and a few dozen watchers would drain the pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.access_scope import machine_for
from api.deps import PlantDep, get_current_user_released
from api.live_broadcast import broadcaster_of
from models.users import User

router = APIRouter(prefix="/machines", tags=["machines"])

HEARTBEAT_S = 15


@router.get(
    "/{machine_id}/live/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "`live` events"}},
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
