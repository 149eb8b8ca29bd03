"""The ingest benchmark's machinery on a tiny workload: every figure is there (no timing checks)."""

from __future__ import annotations

import json

import pytest

from bench.ingest import Sizes, main, run_benchmark

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = Sizes(
    json_messages=20,
    sparkplug_messages=20,
    single_messages=200,
    naive_messages=50,
    opcua_updates=20,
    timestamps=5,
)
KEYS = {
    "copy_samples_per_s",
    "naive_insert_samples_per_s",
    "json_batch_samples_per_s",
    "json_batch_ratio_to_copy",
    "sparkplug_samples_per_s",
    "sparkplug_ratio_to_copy",
    "single_msgs_per_s",
    "opcua_values_per_s",
}


async def test_a_tiny_run_reports_every_figure() -> None:
    figures = await run_benchmark(TINY, say=lambda _: None)

    assert KEYS <= set(figures)
    assert figures["notes"] == []
    for key in KEYS:
        value = figures[key]
        assert isinstance(value, int | float), key
        assert value > 0, key
    # The whole result is one line of JSON.
    assert "\n" not in json.dumps(figures)


def test_the_command_refuses_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--fast"])
    assert "--quick" in capsys.readouterr().err
