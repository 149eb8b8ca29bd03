"""A grid's bucket start times as JSON (storage/trend_times.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from storage.trend_rollups import bucket_index, bucket_start
from storage.trend_times import grid_times_json


@pytest.mark.parametrize("width_s", [1, 5, 120, 900, 3600, 86400, 2 * 86400, 7 * 86400])
@pytest.mark.parametrize("count", [1, 3, 1000])
def test_every_bucket_start_once_across_midnights(width_s: int, count: int) -> None:
    width = timedelta(seconds=width_s)
    start = bucket_index(datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC), width)
    times = json.loads(f"[{grid_times_json(width, start, start + count)}]")
    assert [datetime.fromisoformat(t) for t in times] == [
        bucket_start(i, width) for i in range(start, start + count)
    ]
    assert all(t.endswith("Z") for t in times)


def test_no_buckets_no_times() -> None:
    assert grid_times_json(timedelta(seconds=60), 10, 10) == ""
