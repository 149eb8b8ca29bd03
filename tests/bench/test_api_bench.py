"""The API benchmark's machinery on a tiny case: every figure is there (no timing checks)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bench.api import Sizes, main, run_benchmark, trend_requests

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = Sizes(history=timedelta(hours=1), clients=4, requests=20, sse=8, sequential=5)
KEYS = ("trend_p50_ms", "trend_p99_ms", "ratio_to_db_query", "sse_clients")


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


def test_ranges_stay_inside_the_history_and_span_short_and_long() -> None:
    requests = trend_requests(Sizes(history=timedelta(days=7), clients=1, requests=500, sse=1))
    spans = [r.until - r.since for r in requests]

    assert min(spans) >= timedelta(minutes=1)
    assert max(spans) <= timedelta(days=7)
    assert min(spans) < timedelta(hours=1) and max(spans) > timedelta(days=2)
    assert requests == trend_requests(Sizes(timedelta(days=7), 1, 500, 1))


def test_the_command_refuses_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--fast"])
    assert "--quick" in capsys.readouterr().err
