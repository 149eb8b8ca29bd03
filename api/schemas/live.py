"""What the live stream pushes: a machine's newest values and whether to trust them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from api.schemas.base import PublicModel
from api.schemas.telemetry import MachineLivePublic

LiveState = Literal["online", "offline", "stale", "learning", "unknown"]
AnalysisName = Literal["learning", "scoring", "unscored"]


class LiveStatusPublic(PublicModel):
    """``state`` sums it up, the worst first: offline (no data arrives), unknown (no
    collector has recorded the machine), learning (no model scores it yet), stale (its
    newest anomaly score no longer describes it), else online. ``reason`` says why in
    a line for offline and stale."""

    state: LiveState
    connection: Literal["online", "offline", "unknown"]
    since: datetime | None
    last_seen: datetime | None
    analysis: AnalysisName
    score_stale: bool
    reason: str | None


class LiveUpdatePublic(PublicModel):
    """One ``live`` event of GET /api/v1/machines/{id}/live/stream."""

    live: MachineLivePublic
    status: LiveStatusPublic
