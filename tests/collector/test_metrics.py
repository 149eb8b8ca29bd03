"""Observability: the Prometheus endpoint of a collector, and its JSON log lines."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg_pool import AsyncConnectionPool

from collector.collector_metrics import collector_registry, serving_metrics
from collector.disk_spool import DiskSpool
from collector.source_liveness import SourceLiveness
from collector.structured_logging import JsonLineFormatter
from collector.telemetry_sink import TelemetrySink
from models.readings import Reading
from services.free_ports import free_port
from storage.connections import Pool

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)


def _scrape(port: int) -> dict[str, float]:
    """Every sample on /metrics, keyed by name and labels as Prometheus prints them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


@pytest.mark.integration
async def test_metrics_count_what_the_sink_did_per_machine(db_pool: Pool, tmp_path: Path) -> None:
    # The source clock runs 10 s behind ours: lag is receive time minus source time.
    source_time = datetime.now(UTC) - timedelta(seconds=10)
    liveness = SourceLiveness(["l3-packer", "l3-sealer"], offline_after_s=60)
    with DiskSpool(tmp_path, max_bytes=1_000_000) as spool:
        sink = TelemetrySink(db_pool, spool=spool, liveness=liveness)
        sink.put(
            [Reading(source_time - timedelta(seconds=i), "l3-packer", "speed", i) for i in range(5)]
        )
        await sink.flush()
        sink.put([Reading(source_time, "l3-packer", "speed", 0)])  # a replayed sample
        await sink.flush()

        port = free_port()
        with serving_metrics(collector_registry(sink, liveness, spool), port) as serving:
            assert serving == port
            metrics = await asyncio.to_thread(_scrape, port)

    assert metrics["linecare_collector_samples_received_total"] == 6
    assert metrics["linecare_collector_samples_written_total"] == 5
    assert metrics["linecare_collector_samples_duplicate_total"] == 1
    assert metrics["linecare_collector_samples_spooled_total"] == 0
    assert metrics["linecare_collector_dead_letters_total"] == 0
    assert metrics["linecare_collector_write_seconds_count"] == 2
    assert metrics['linecare_collector_machine_samples_received_total{machine="l3-packer"}'] == 6
    assert metrics['linecare_collector_machine_online{machine="l3-packer"}'] == 1
    assert metrics['linecare_collector_machine_online{machine="l3-sealer"}'] == 0
    assert 9 < metrics['linecare_collector_source_lag_seconds{machine="l3-packer"}'] < 20
    assert metrics["linecare_collector_spool_bytes"] == 0
    assert metrics["linecare_collector_spool_limit_bytes"] == 1_000_000
    assert metrics["linecare_collector_backpressure"] == 0


async def test_port_zero_serves_nothing_and_a_taken_port_costs_only_the_metrics(
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_opened: Pool = AsyncConnectionPool("host=127.0.0.1", open=False)
    registry = collector_registry(TelemetrySink(never_opened))
    with serving_metrics(registry, 0) as serving:
        assert serving == 0
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.ERROR), serving_metrics(registry, port) as serving:
            assert serving == 0
    assert "metrics endpoint not served" in caplog.text


def test_json_log_lines_carry_extra_fields_and_exceptions() -> None:
    logger = logging.getLogger("linecare.test")
    record = logger.makeRecord(
        logger.name,
        logging.WARNING,
        __file__,
        1,
        "machine %s is offline",
        ("l1-filler",),
        None,
        extra={"machine": "l1-filler", "spool_bytes": 12},
    )
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonLineFormatter().format(record)

    assert "\n" not in line
    document = json.loads(line)
    assert document["level"] == "WARNING"
    assert document["logger"] == "linecare.test"
    assert document["message"] == "machine l1-filler is offline"
    assert (document["machine"], document["spool_bytes"]) == ("l1-filler", 12)
    assert "ValueError: boom" in document["exception"]
    assert datetime.fromisoformat(document["time"]).tzinfo is not None
