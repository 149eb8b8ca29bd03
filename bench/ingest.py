"""End-to-end ingest benchmark: ``python -m bench.ingest [--quick]``.

Starts its own TimescaleDB cluster (durable: fsync on, as in production) and
Mosquitto broker on free ports, then measures, one after the other:

- ``json_batch``: JSON messages of 50 timestamps x 4 signals, MQTT QoS 1;
- ``sparkplug``: Sparkplug B DDATA messages of the same shape;
- ``single``: JSON messages of one sample each;
- ``opcua``: value changes of 40 nodes through one OPC UA subscription;
- the raw binary COPY of each workload's rows into the same hypertable, just
  before the workload, and a naive bridge doing one INSERT per message.

MQTT messages are published by a separate process *before* the collector
connects: the broker queues them in the collector's persistent session, and the
clock runs from the collector's connect until the sink reports every sample
stored. The OPC UA server runs in a separate process and writes as fast as it
can once the collector has subscribed. On a 2-core machine the broker, the
database, the OPC UA server and the collector still share the two cores.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.baselines import NaiveBridge, raw_copy_rate, truncate_telemetry
from bench.bench_plant import (
    JSON_LINE,
    JSON_TOPIC,
    SPARKPLUG_LINE,
    Workload,
    bench_plant,
    recent_start,
)
from bench.collector_runs import mqtt_rate, opcua_rate
from bench.load_publisher import workload
from bench.throwaway_services import throwaway_broker, throwaway_cluster
from collector.garbage_collection import tune_for_ingest
from models.plant import Plant
from services.free_ports import free_port
from services.postgres_cluster import dsn as cluster_dsn
from storage.connections import Pool
from storage.database import open_pool, prepare_database

Figures = dict[str, object]


@dataclass(frozen=True, slots=True)
class Sizes:
    json_messages: int
    sparkplug_messages: int
    single_messages: int
    naive_messages: int
    opcua_updates: int  # per node
    timestamps: int = 50  # per batched message


FULL = Sizes(
    json_messages=5000,
    sparkplug_messages=5000,
    # Mosquitto queues at most 100,000 messages for a session (services/mosquitto_broker.py).
    single_messages=90_000,
    naive_messages=10_000,
    opcua_updates=2500,
)
QUICK = Sizes(
    json_messages=1500,
    sparkplug_messages=1500,
    single_messages=30_000,
    naive_messages=3_000,
    opcua_updates=500,
)


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 3) if value is not None and base else None


@dataclass
class _Measurements:
    """One benchmark run's services, and the figures measured on them so far."""

    dsn: str
    pool: Pool
    plant: Plant
    broker_port: int
    opcua_endpoint: str
    work: Path
    start: datetime
    say: Callable[[str], None]
    figures: Figures = field(default_factory=dict)
    copies: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    async def mqtt(self, kind: str, messages: int, timestamps: int, line: str) -> None:
        load = workload(kind, messages, timestamps, self.start)
        self.copies[kind] = await _copy(self.dsn, load, line)
        self.say(f"{kind}: raw COPY of {load.samples} samples: {self.copies[kind]:,.0f}/s")
        try:
            rate = await mqtt_rate(
                self.pool, self.plant, self.broker_port, kind, load, self.work / kind
            )
        except Exception as error:  # a broken workload must not hide the others
            self.notes.append(f"{kind} failed: {type(error).__name__}: {error}")
            return
        self.say(f"{kind}: {load.samples} samples end to end: {rate:,.0f}/s")
        self.figures[kind] = rate

    async def naive(self, messages: int) -> None:
        try:
            rate = await _naive(self.dsn, self.broker_port, messages, self.start)
        except Exception as error:
            self.notes.append(f"naive bridge failed: {type(error).__name__}: {error}")
            return
        self.say(f"naive bridge: {rate:,.0f} samples/s")
        self.figures["naive"] = rate

    async def opcua(self, updates: int) -> None:
        load = Workload(updates * 40, 1, ("speed",), self.start)
        self.copies["opcua"] = await _copy(self.dsn, load, JSON_LINE)
        try:
            rate = await opcua_rate(
                self.pool,
                self.plant,
                self.opcua_endpoint,
                updates,
                self.start.isoformat(),
                self.work / "opcua",
            )
        except Exception as error:
            self.notes.append(f"opcua failed: {type(error).__name__}: {error}")
            return
        self.say(f"opcua: {rate.stored_per_s:,.0f} value changes/s")
        self.figures["opcua"] = rate.stored_per_s
        self.figures["opcua_server_writes_per_s"] = round(rate.server_writes_per_s)


async def run_benchmark(sizes: Sizes, say: Callable[[str], None] = print) -> Figures:
    """Every figure of the benchmark, measured on services of its own."""
    with (
        throwaway_cluster(durable=True) as cluster,
        throwaway_broker(persistent=False) as broker,
        tempfile.TemporaryDirectory(prefix="linecare-bench-") as work,
    ):
        dsn = cluster_dsn(cluster, "bench")
        endpoint = f"opc.tcp://127.0.0.1:{free_port()}/bench/"
        plant = bench_plant(endpoint)
        await prepare_database(dsn, plant, timedelta(days=3650))
        pool = open_pool(dsn)
        await pool.open(wait=True)
        run = _Measurements(
            dsn, pool, plant, broker.port, endpoint, Path(work), recent_start(), say
        )
        try:
            await run.mqtt("json_batch", sizes.json_messages, sizes.timestamps, JSON_LINE)
            await run.mqtt("sparkplug", sizes.sparkplug_messages, sizes.timestamps, SPARKPLUG_LINE)
            await run.mqtt("single", sizes.single_messages, 1, JSON_LINE)
            await run.naive(sizes.naive_messages)
            await run.opcua(sizes.opcua_updates)
        finally:
            await pool.close()
    return _report(run, sizes)


async def _copy(dsn: str, load: Workload, line: str) -> float:
    readings = list(load.readings(line))
    return await asyncio.to_thread(raw_copy_rate, dsn, readings)


async def _naive(dsn: str, broker_port: int, messages: int, start: datetime) -> float:
    load = workload("single", messages, 1, start)
    await asyncio.to_thread(truncate_telemetry, dsn)
    topic_filter = JSON_TOPIC.format(line="+", machine="+")
    bridge = NaiveBridge(dsn, broker_port, topic_filter, client_id="bench-naive")
    await asyncio.to_thread(bridge.join_session)
    await _publish_single(broker_port, load)
    return await asyncio.to_thread(bridge.rate, load.samples, 300.0)


async def _publish_single(broker_port: int, load: Workload) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load_publisher", "single",
        f"--port={broker_port}", f"--messages={load.messages}", "--timestamps=1",
        f"--start={load.start.isoformat()}",
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await process.wait() != 0:
        raise RuntimeError("the load publisher failed")


def _report(run: _Measurements, sizes: Sizes) -> Figures:
    def rate(kind: str) -> float | None:
        value = run.figures.get(kind)
        return round(value) if isinstance(value, float) else None

    naive = rate("naive")
    report: Figures = {
        "copy_samples_per_s": round(sum(run.copies.values()) / len(run.copies)),
        "naive_insert_samples_per_s": naive,
    }
    for kind, key in (
        ("json_batch", "json_batch_samples_per_s"),
        ("sparkplug", "sparkplug_samples_per_s"),
        ("single", "single_msgs_per_s"),
        ("opcua", "opcua_values_per_s"),
    ):
        report[key] = rate(kind)
        report[f"{kind}_ratio_to_copy"] = _ratio(rate(kind), run.copies.get(kind))
        report[f"{kind}_ratio_to_naive"] = _ratio(rate(kind), naive)
    report["opcua_server_writes_per_s"] = run.figures.get("opcua_server_writes_per_s")
    report["copy_samples_per_s_by_workload"] = {k: round(v) for k, v in run.copies.items()}
    report["sizes"] = asdict(sizes)
    report["cpus"] = os.cpu_count()
    report["notes"] = run.notes
    return report


async def _until_terminated(benchmark: Coroutine[Any, Any, Figures]) -> Figures:
    """Run the benchmark; SIGTERM cancels it, so its cluster and broker are removed."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await benchmark


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller workloads, under a minute")
    args = parser.parse_args(argv)
    started = time.monotonic()
    # The collectors run in this process: set it up as ``linecare collect`` does.
    tune_for_ingest()
    figures = asyncio.run(_until_terminated(run_benchmark(QUICK if args.quick else FULL)))
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
