"""Timing the real collector path: transport → parsing → sink → TimescaleDB.

Each run uses the production pieces (``MqttSubscriber`` or ``OpcUaSubscriber``,
``TelemetrySink`` with its disk spool and liveness tracking) with their default
settings, and stops the clock when the sink reports every expected sample stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from bench.bench_plant import OPCUA_LINE, Workload
from collector.disk_spool import DiskSpool
from collector.mqtt_connection import MqttConnection, connect_async, create_client
from collector.mqtt_subscriber import build_mqtt_subscriber
from collector.opcua_subscriber import OpcUaSubscriber
from collector.source_liveness import SourceLiveness
from collector.telemetry_sink import TelemetrySink
from models.plant import Plant
from storage.connections import Pool

_TIMEOUT_S = 300.0


def _sink(pool: Pool, plant: Plant, spool: DiskSpool | None) -> TelemetrySink:
    """A sink as ``linecare collect`` builds it, with default batching."""
    machines = [p.machine.id for p in plant.placements()]
    return TelemetrySink(pool, spool=spool, liveness=SourceLiveness(machines))


@contextlib.asynccontextmanager
async def _running(*tasks: asyncio.Task[None]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _until_stored(sink: TelemetrySink, expected: int) -> None:
    deadline = time.perf_counter() + _TIMEOUT_S
    while sink.counters.written + sink.counters.duplicates < expected:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{sink.counters.written} of {expected} samples stored")
        await asyncio.sleep(0.005)


async def mqtt_rate(
    pool: Pool, plant: Plant, broker_port: int, kind: str, load: Workload, spool_dir: Path
) -> float:
    """Samples per second of ``kind`` messages, queued on the broker, into TimescaleDB."""
    connection = MqttConnection("127.0.0.1", broker_port, client_id=f"bench-{kind}")
    # Join the session first, so that the broker keeps what is published meanwhile.
    sink = _sink(pool, plant, None)
    subscriber = build_mqtt_subscriber(plant, sink, connection)
    assert subscriber is not None
    async with _running(asyncio.create_task(subscriber.run())):
        await asyncio.wait_for(subscriber.subscribed.wait(), 30)
    await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable, "-m", "bench.load_publisher", kind,
            f"--port={broker_port}",
            f"--messages={load.messages}",
            f"--timestamps={load.timestamps}",
            f"--start={load.start.isoformat()}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with DiskSpool(spool_dir, max_bytes=1024**3) as spool:
        sink = _sink(pool, plant, spool)
        subscriber = build_mqtt_subscriber(plant, sink, connection)
        assert subscriber is not None
        started = time.perf_counter()
        tasks = asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())
        async with _running(*tasks):
            await _until_stored(sink, load.samples)
            elapsed = time.perf_counter() - started
    await asyncio.to_thread(forget_session, connection)
    return load.samples / elapsed


def forget_session(connection: MqttConnection) -> None:
    """End the collector's persistent session, so the broker stops queueing for it."""
    clean = replace(connection, persistent_session=False)
    client = create_client(clean, manual_ack=False)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    connect_async(client, clean)
    client.loop_start()
    connected.wait(10)
    client.disconnect()
    client.loop_stop()


@dataclass(frozen=True, slots=True)
class OpcUaRate:
    # From the server's first write until the collector stored the last value.
    stored_per_s: float
    # How fast the server process wrote them: the ceiling of the measurement.
    server_writes_per_s: float


async def opcua_rate(
    pool: Pool, plant: Plant, endpoint: str, updates: int, load_start: str, spool_dir: Path
) -> OpcUaRate:
    """Value changes per second through one subscription, from the first write until stored."""
    lines = [line for _, _, line in plant.lines() if line.id == OPCUA_LINE]
    nodes = sum(len(machine.signals) for line in lines for machine in line.machines)
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.opcua_load",
        f"--endpoint={endpoint}", f"--updates={updates}", f"--start={load_start}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the OPC UA load server said {ready!r}")
        with DiskSpool(spool_dir, max_bytes=1024**3) as spool:
            sink = _sink(pool, plant, spool)
            subscriber = OpcUaSubscriber(endpoint, lines, sink)
            async with _running(
                asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())
            ):
                await asyncio.wait_for(subscriber.connected.wait(), 60)
                await _until_stored(sink, nodes)  # every node's initial value
                server.stdin.write(b"go\n")
                await server.stdin.drain()
                started = time.perf_counter()
                await _until_stored(sink, nodes * (updates + 1))
                elapsed = time.perf_counter() - started
        done = (await asyncio.wait_for(server.stdout.readline(), 60)).split()
        server_s = float(done[1])
        return OpcUaRate(nodes * updates / elapsed, nodes * updates / server_s)
    finally:
        server.stdin.close()
        await asyncio.wait_for(server.wait(), 30)
