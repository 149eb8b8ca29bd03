"""The live state in one word: offline outranks learning, learning outranks a stale score."""

from __future__ import annotations

from datetime import UTC, datetime

from api.live_status import UNSCORED, ModelFacts, live_status
from api.score_freshness import CURRENT, ScoreFreshness
from models.machine_status import MachineStatus, OfflineReason

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ONLINE = MachineStatus("l1-filler", True, AT, AT)
OFFLINE = MachineStatus("l1-filler", False, AT, AT, OfflineReason.SILENT, "no data for 60 s")
STALE = ModelFacts("scoring", ScoreFreshness(stale=True, reason="the machine is not running"))
SCORING = ModelFacts("scoring", CURRENT)


def test_offline_wins_over_everything_and_says_why() -> None:
    status = live_status(OFFLINE, STALE)
    assert (status.state, status.reason, status.score_stale) == (
        "offline",
        "no data for 60 s",
        True,
    )


def test_a_machine_never_recorded_is_unknown_not_online() -> None:
    assert live_status(None, SCORING).state == "unknown"


def test_learning_comes_before_stale() -> None:
    assert live_status(ONLINE, UNSCORED).state == "learning"
    assert live_status(ONLINE, STALE).state == "stale"
    assert live_status(ONLINE, STALE).reason == "the machine is not running"


def test_an_online_machine_with_a_current_score_is_online() -> None:
    status = live_status(ONLINE, SCORING)
    assert (status.state, status.reason, status.connection) == ("online", None, "online")
    assert live_status(ONLINE, ModelFacts("scoring", None)).state == "online"
