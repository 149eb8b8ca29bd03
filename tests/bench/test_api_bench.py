"""The API benchmark's machinery on a tiny case: every figure is there (no timing checks)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bench.api import (
    SIGNALS,
    START,
    TAIL,
    Sizes,
    main,
    mixed_requests,
    run_benchmark,
    week_requests,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = Sizes(window=timedelta(hours=1), clients=4, requests=20, sse=8, sequential=5, warm_up=4)
KEYS = (
    "trend_p50_ms",
    "trend_p99_ms",
    "ratio_to_db_query",
    "mixed_p50_ms",
    "mixed_p99_ms",
    "mixed_ratio_to_db_query",
    "sse_clients",
)


@pytest.mark.parametrize("processes", [1, 2])
async def test_a_tiny_run_reports_every_figure(processes: int) -> None:
    figures = await run_benchmark(TINY, processes, say=lambda _: None)

    for key in KEYS:
        value = figures[key]
        assert isinstance(value, int | float), key
        assert value > 0, key
    assert figures["requests"] == TINY.requests
    assert figures["api_processes"] == processes
    assert figures["sse_clients"] in range(TINY.sse + 1)
    assert "\n" not in json.dumps(figures)


def test_mixed_ranges_stay_inside_the_window_and_span_short_and_long() -> None:
    week = Sizes(window=timedelta(days=7), clients=1, requests=500, sse=1)
    requests = mixed_requests(week)
    spans = [r.until - r.since for r in requests]

    assert min(spans) >= timedelta(minutes=1)
    assert max(spans) <= timedelta(days=7)
    assert min(spans) < timedelta(hours=1) and max(spans) > timedelta(days=2)
    assert {len(r.signals) for r in requests} == {1}
    assert requests == mixed_requests(week) != mixed_requests(week, 1)


def test_week_requests_ask_for_every_signal_over_the_window_ending_in_the_last_hour() -> None:
    week = Sizes(window=timedelta(days=7), clients=1, requests=200, sse=1)
    requests = week_requests(week)
    ends = [r.until for r in requests]

    assert all(r.signals == SIGNALS and r.until - r.since == week.window for r in requests)
    assert all(START + week.window <= end <= START + week.window + TAIL for end in ends)
    assert len(set(ends)) == len(ends)


def test_the_command_refuses_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--fast"])
    assert "--quick" in capsys.readouterr().err
