"""Reasons of stops from the plant file's fault-code table."""

from __future__ import annotations

import pytest

from analytics.downtime_events import downtime_reason
from models.oee import DowntimeCategory

TABLE = {101: "Infeed jam", 201: "Main drive bearing failure"}


@pytest.mark.parametrize(
    ("category", "code", "reason"),
    [
        (DowntimeCategory.BREAKDOWN, 201, "Main drive bearing failure"),
        (DowntimeCategory.BREAKDOWN, 299, "fault 299"),
        (DowntimeCategory.BREAKDOWN, None, "unspecified breakdown"),
        (DowntimeCategory.STOP, 101, "Infeed jam"),
        (DowntimeCategory.STOP, None, "unplanned stop"),
        (DowntimeCategory.MICRO_STOP, 101, "micro-stop: Infeed jam"),
        (DowntimeCategory.MICRO_STOP, 102, "micro-stop: fault 102"),
        (DowntimeCategory.MICRO_STOP, None, "micro-stop"),
        (DowntimeCategory.SETUP, 101, "changeover/setup"),
        (DowntimeCategory.IDLE, None, "idle (waiting)"),
    ],
)
def test_reason_of_each_kind_of_stop(
    category: DowntimeCategory, code: int | None, reason: str
) -> None:
    assert downtime_reason(category, code, TABLE) == reason
