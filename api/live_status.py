"""A machine's live state in one word, from its connection, its model and its score.

Pure: the broadcaster gathers the facts (api/live_broadcast.py) and this decides
what the diagnosis page shows, so an offline machine never looks like a quiet one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api.schemas.live import AnalysisName, LiveState, LiveStatusPublic
from api.score_freshness import ScoreFreshness
from models.machine_status import MachineStatus


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """Whether a model scores the machine, and how fresh its newest score is (None: no score)."""

    analysis: AnalysisName
    freshness: ScoreFreshness | None


UNSCORED = ModelFacts(analysis="learning", freshness=None)


def live_status(recorded: MachineStatus | None, model: ModelFacts) -> LiveStatusPublic:
    """Offline outranks unknown, learning and stale: nothing else matters without data."""
    stale = model.freshness is not None and model.freshness.stale
    connection: Literal["online", "offline", "unknown"]
    if recorded is None:
        connection = "unknown"
    else:
        connection = "online" if recorded.online else "offline"
    reason: str | None = None
    state: LiveState
    if connection == "offline":
        state = "offline"
        reason = recorded.detail if recorded is not None else None
    elif connection == "unknown":
        state = "unknown"
    elif model.analysis == "learning":
        state = "learning"
    elif stale:
        state = "stale"
        reason = model.freshness.reason if model.freshness is not None else None
    else:
        state = "online"
    return LiveStatusPublic(
        state=state,
        connection=connection,
        since=recorded.since if recorded is not None else None,
        last_seen=recorded.last_seen if recorded is not None else None,
        analysis=model.analysis,
        score_stale=stale,
        reason=reason,
    )
