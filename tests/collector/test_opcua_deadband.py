"""Whether a node's EURange can scale a percent deadband (pure, no server)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from asyncua import ua

from collector.opcua_deadband import eu_range_problem, wants_percent_deadband
from collector.opcua_mapping import MappedSignal
from models.opcua_source import CollectMode, Deadband, DeadbandKind

SPEED = MappedSignal(
    machine_id="l1-filler",
    signal="speed",
    address="ns=2;s=line-1.l1-filler.speed",
    by_browse_path=False,
    mode=CollectMode.SUBSCRIBE,
    sampling_interval_ms=500,
    queue_size=1000,
    deadband=None,
)


def test_a_range_with_width_scales_a_percent_deadband() -> None:
    assert eu_range_problem(ua.Range(Low=0.0, High=200.0)) is None
    assert eu_range_problem(ua.Range(Low=-40.0, High=-10.0)) is None


@pytest.mark.parametrize(
    ("eu_range", "problem"),
    [
        (None, "holds no range"),
        (200.0, "holds no range"),
        (ua.Range(Low=5.0, High=5.0), "[5.0, 5.0] is empty"),
        (ua.Range(Low=10.0, High=0.0), "[10.0, 0.0] is empty"),
        (ua.Range(Low=0.0, High=math.inf), "is empty"),
        (ua.Range(Low=math.nan, High=1.0), "is empty"),
    ],
)
def test_a_missing_or_empty_range_cannot_scale_one(eu_range: object, problem: str) -> None:
    reason = eu_range_problem(eu_range)
    assert reason is not None and problem in reason


def test_only_percent_deadbands_need_a_range() -> None:
    percent = replace(SPEED, deadband=Deadband(kind=DeadbandKind.PERCENT, value=2.0))
    absolute = replace(SPEED, deadband=Deadband(value=2.0))

    assert wants_percent_deadband(percent)
    assert not wants_percent_deadband(absolute)
    assert not wants_percent_deadband(SPEED)
