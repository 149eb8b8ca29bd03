"""API benchmark: ``python -m bench.api [--quick]``.

Starts its own TimescaleDB cluster, loads one week and an hour (``--quick``: one
day and an hour) of 1 Hz samples of six signals of one machine through the binary
COPY of ``storage.telemetry_writer``, and serves the app with uvicorn in a process
of its own. Then it measures two kinds of trend request, each under ``clients``
concurrent clients that send their next request as soon as the last is answered:

- ``trend_*``, what the issue names: every request asks
  GET /api/v1/machines/{id}/trends for all six signals over one week (``--quick``:
  one day), at most 1,000 points each, ending at a random second of the last hour,
  as the diagnosis page asks for "the last week" while data keeps arriving;
- ``mixed_*``: one signal each over random ranges, lengths log-uniform from a
  minute to the whole week, so short zooms and long views both count.

For each: p50 and p99 latency in wall milliseconds; ``ratio_to_db_query``, for
``sequential`` requests sent one after the other, the p50 through the API over the
p50 of the same read (``storage.trend_reader.aligned_json``) run directly on one
connection and keeping nothing between reads, i.e. every bucket from the
database. Below 1, the API answers faster than the database alone could: its
processes keep whole buckets between reads (storage/trend_cache.py).
``ratio_under_load`` sets the p50 under the concurrent clients against the same
database p50, so it also holds the queueing on two cores. ``warm_up`` requests of
another draw go first and are not counted: a fresh server plans each statement on
each pooled connection until psycopg has prepared it (on its fifth run), and its
cache is empty.

SSE fan-out: ``sse`` clients hold GET /api/v1/machines/{id}/live/stream open; a
new sample is written, and ``sse_clients`` counts the clients that received the
update within 1 s of its commit.

After loading, the history is rolled up once (``rollup_s``, beside the load's
``load_s``), as the analyze process's refresher does it continuously, and every
chunk is vacuumed, as autovacuum would have by then. Ranges then read the stored
rollups for whole buckets, finer levels and a few raw seconds at the edges
(storage/trend_pieces.py, storage/trend_reader.py), on either edition. The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg
from psycopg import sql

from bench.throwaway_services import throwaway_cluster
from models.plant import load_plant
from models.readings import Reading
from services.free_ports import free_port
from services.postgres_cluster import dsn as cluster_dsn
from storage.customer_scope import EVERY_CUSTOMER
from storage.database import api_session_options, prepare_database
from storage.telemetry_writer import write_readings
from storage.trend_cache import TrendCache
from storage.trend_queries import bucket_grid
from storage.trend_reader import aligned_json
from storage.trend_rollups import refresh_machine_rollups
from storage.user_store import seed_demo_users

Figures = dict[str, object]

PLANT_FILE = Path(__file__).resolve().parents[1] / "config" / "plant.yaml"
MACHINE = "l1-filler"
SIGNALS = (
    "speed",
    "vibration_rms",
    "bearing_temp",
    "motor_current",
    "good_count",
    "reject_count",
)
TOKEN = "demo-support"
POINTS = 1000
START = datetime(2026, 3, 2, tzinfo=UTC)
SSE_WINDOW_S = 1.0
_COPY_BATCH = 200_000


@dataclass(frozen=True, slots=True)
class Sizes:
    """``window`` is what a "week" request covers; the history loaded is an hour more."""

    window: timedelta
    clients: int
    requests: int
    sse: int
    sequential: int = 100
    warm_up: int = 300


FULL = Sizes(window=timedelta(days=7), clients=50, requests=1000, sse=1000, sequential=200)
QUICK = Sizes(window=timedelta(days=1), clients=50, requests=300, sse=500, sequential=100)
# The week's requests end somewhere in the hour after the window's first full week.
TAIL = timedelta(hours=1)


def history_of(sizes: Sizes) -> timedelta:
    return sizes.window + TAIL


@dataclass(frozen=True, slots=True)
class TrendRequest:
    signals: tuple[str, ...]
    since: datetime
    until: datetime


def week_requests(sizes: Sizes, seed: int = 0) -> list[TrendRequest]:
    """All six signals over ``window``, ending at a random second of the last hour."""
    rng = random.Random(seed)
    requests = []
    for _ in range(sizes.requests):
        until = START + sizes.window + timedelta(seconds=rng.uniform(0, TAIL.total_seconds()))
        requests.append(TrendRequest(SIGNALS, until - sizes.window, until))
    return requests


def mixed_requests(sizes: Sizes, seed: int = 0) -> list[TrendRequest]:
    """One signal each over random ranges inside the window; lengths log-uniform from a
    minute to all of it."""
    rng = random.Random(seed)
    shortest, longest = 60.0, sizes.window.total_seconds()
    requests = []
    for _ in range(sizes.requests):
        span = math.exp(rng.uniform(math.log(shortest), math.log(longest)))
        since = START + timedelta(seconds=rng.uniform(0, longest - span))
        requests.append(
            TrendRequest((rng.choice(SIGNALS),), since, since + timedelta(seconds=span))
        )
    return requests


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


async def _load(dsn: str, history: timedelta) -> int:
    """One sample a second of every signal, written in COPY batches; the rows written."""
    seconds = int(history.total_seconds())
    written = 0
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        batch: list[Reading] = []
        for second in range(seconds):
            at = START + timedelta(seconds=second)
            wave = math.sin(second / 900.0)
            batch.extend(
                Reading(at, MACHINE, signal, 50.0 + 10.0 * wave + index)
                for index, signal in enumerate(SIGNALS)
            )
            if len(batch) >= _COPY_BATCH:
                written += await write_readings(conn, batch)
                await conn.commit()
                batch = []
        if batch:
            written += await write_readings(conn, batch)
            await conn.commit()
    return written


async def _settle(dsn: str) -> None:
    """What autovacuum has done to a week of history before anyone charts it.

    Every chunk is vacuumed, so index-only scans of the rollups visit no heap pages.
    The checkpoint comes first: this throwaway cluster commits asynchronously, and
    vacuum does not mark pages all-visible while their commits are not on disk.
    (VACUUM of the hypertable itself left its chunks unmarked here.)
    """
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("CHECKPOINT")
        for table in ("telemetry", "trend_rollups"):
            cursor = await conn.execute("SELECT show_chunks(%s)::text", (table,))
            for (chunk,) in await cursor.fetchall():
                schema, name = chunk.split(".")
                await conn.execute(
                    sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(schema, name))
                )


def _serve_command(dsn: str, port: int, state_dir: str, processes: int) -> list[str]:
    return [
        sys.executable, "-m", "bench.api", "--serve", dsn, str(port), state_dir, str(processes)
    ]  # fmt: skip


def serve(dsn: str, port: int, state_dir: str, processes: int) -> None:
    """The app on ``port`` as ``linecare api --workers N`` runs it, until terminated."""
    from launcher.api_workers import serve_api_workers, worker_environment
    from settings.linecare_settings import Settings

    settings = Settings(
        database_url=dsn,
        state_dir=Path(state_dir),
        manage_services=False,
        api_host="127.0.0.1",
        api_port=port,
    )
    environ = {
        "LINECARE_DATABASE_URL": dsn,
        "LINECARE_STATE_DIR": state_dir,
        "LINECARE_MANAGE_SERVICES": "false",
        "LINECARE_PLANT_FILE": str(PLANT_FILE),
        **worker_environment(settings),
    }
    serve_api_workers(settings, processes, environ)


async def _wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(300):
            if process.returncode is not None:
                raise RuntimeError("the API process ended before it served")
            try:
                response = await http.get("/api/v1/health")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start within 30 s")


class _HttpConnection:
    """One keep-alive HTTP/1.1 connection for GETs answered with a Content-Length.

    The load generator shares the two cores with the server and the database; a
    general client's connection pool queued requests on our side (p99 1,030 ms with
    httpx against 205 ms with this against the same server), so this measures the
    server instead.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


async def _trend_latencies(
    port: int, requests: Sequence[TrendRequest], clients: int
) -> list[float]:
    """Wall milliseconds of each request, ``clients`` of them in flight at once."""
    queue: asyncio.Queue[TrendRequest] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def client() -> None:
        connection = _HttpConnection(port)
        try:
            while not queue.empty():
                request = queue.get_nowait()
                query = urlencode(
                    {
                        "signals": ",".join(request.signals),
                        "from": request.since.isoformat(),
                        "to": request.until.isoformat(),
                        "points": POINTS,
                    }
                )
                started = time.perf_counter()
                status, body = await connection.get(
                    f"/api/v1/machines/{MACHINE}/trends?{query}", headers
                )
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"trend answered {status}: {body[:300]!r}")
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


async def _db_query_ms(dsn: str, requests: Sequence[TrendRequest]) -> list[float]:
    """The endpoint's database read (``storage.trend_reader.aligned_json``: its SQL and
    the padding of empty slots) straight on one connection with the API's session
    settings, one after the other, keeping nothing between reads: every bucket
    comes from the database, as it would without the API's cache."""
    durations = []
    # Learns the rollup state once, as a serving process does, and keeps no bucket.
    nothing_kept = TrendCache.disabled()
    async with await psycopg.AsyncConnection.connect(
        dsn, autocommit=True, options=api_session_options(dsn)
    ) as conn:
        for request in requests:
            grid = bucket_grid(request.since, request.until, points=POINTS)
            started = time.perf_counter()
            await aligned_json(
                conn,
                machine_id=MACHINE,
                signals=request.signals,
                grid=grid,
                scope=EVERY_CUSTOMER,
                cache=nothing_kept,
            )
            durations.append((time.perf_counter() - started) * 1000)
    return durations


class _SseClient:
    """A bare HTTP/1.1 stream reader: thousands of them stay light on one core."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.ready = asyncio.Event()

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"GET /api/v1/machines/{MACHINE}/live/stream HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                "Accept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"stream refused: {status!r}")
            while line := await reader.readline():
                if line.startswith(b"event: live"):
                    self.arrivals.append(time.perf_counter())
                    self.ready.set()
        finally:
            writer.close()


async def _sse_fan_out(dsn: str, port: int, clients: int, history: timedelta) -> int:
    """How many of ``clients`` open streams get a new sample's update within 1 s."""
    readers = [_SseClient() for _ in range(clients)]
    tasks = []
    for reader in readers:
        tasks.append(asyncio.create_task(reader.run(port)))
        await asyncio.sleep(0)  # let each connect before piling up the next
    try:
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in readers)), 60)
        await asyncio.sleep(1.0)
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            await write_readings(
                conn, [Reading(START + history + timedelta(seconds=1), MACHINE, "speed", 999.0)]
            )
            await conn.commit()
            landed = time.perf_counter()
        await asyncio.sleep(SSE_WINDOW_S + 1.0)
        return sum(
            any(landed < t <= landed + SSE_WINDOW_S for t in reader.arrivals) for reader in readers
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_benchmark(
    sizes: Sizes, processes: int = 1, say: Callable[[str], None] = print
) -> Figures:
    plant = load_plant(PLANT_FILE)
    with throwaway_cluster() as cluster, tempfile.TemporaryDirectory() as state_dir:
        dsn = cluster_dsn(cluster, "linecare_bench")
        await prepare_database(dsn, plant, timedelta(days=3650))
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            await seed_demo_users(conn)
            await conn.commit()
        started = time.perf_counter()
        rows = await _load(dsn, history_of(sizes))
        load_s = time.perf_counter() - started
        say(f"loaded {rows:,} samples in {load_s:.1f} s")
        started = time.perf_counter()
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            await refresh_machine_rollups(conn, machine_id=MACHINE, signals=SIGNALS)
        rollup_s = time.perf_counter() - started
        say(f"rolled up in {rollup_s:.1f} s")
        await _settle(dsn)
        figures = await _measure(dsn, sizes, state_dir, processes, say)
        return {"load_s": round(load_s, 2), "rollup_s": round(rollup_s, 2), **figures}


async def _measure(
    dsn: str, sizes: Sizes, state_dir: str, processes: int, say: Callable[[str], None]
) -> Figures:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        *_serve_command(dsn, port, state_dir, processes),
        env={**os.environ, "PYTHONPATH": str(PLANT_FILE.parents[1])},
    )
    try:
        await _wait_until_up(url, process)
        week = await _scenario(dsn, port, sizes, week_requests, "week, six signals", say)
        mixed = await _scenario(dsn, port, sizes, mixed_requests, "mixed ranges", say)
        sse = await _sse_fan_out(dsn, port, sizes.sse, history_of(sizes))
        say(f"SSE: {sse} of {sizes.sse} streams had the new sample within 1 s")
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    return {
        "window_days": sizes.window / timedelta(days=1),
        "api_processes": processes,
        "signals": len(SIGNALS),
        "clients": sizes.clients,
        "requests": sizes.requests,
        **{f"trend_{name}": value for name, value in week.items()},
        **{f"mixed_{name}": value for name, value in mixed.items()},
        "ratio_to_db_query": week["ratio_to_db_query"],
        "sse_streams_opened": sizes.sse,
        "sse_clients": sse,
    }


async def _scenario(
    dsn: str,
    port: int,
    sizes: Sizes,
    draw: Callable[[Sizes, int], list[TrendRequest]],
    name: str,
    say: Callable[[str], None],
) -> Figures:
    """One kind of request: under load, then one at a time beside the SQL alone."""
    warm_up = draw(replace(sizes, requests=sizes.warm_up), 1)
    await _trend_latencies(port, warm_up, sizes.clients)
    requests = draw(sizes, 0)
    latencies = await _trend_latencies(port, requests, sizes.clients)
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    say(f"{name}: {len(latencies)} requests, {sizes.clients} clients: p50 {p50:.1f} ms")
    alone = requests[: sizes.sequential]
    api_alone = _percentile(await _trend_latencies(port, alone, 1), 0.5)
    db = await _db_query_ms(dsn, alone)
    db_p50 = _percentile(db, 0.5)
    say(f"{name}, one at a time: API p50 {api_alone:.2f} ms, the SQL alone {db_p50:.2f} ms")
    return {
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "db_query_p50_ms": round(db_p50, 2),
        "db_query_p99_ms": round(_percentile(db, 0.99), 2),
        "api_alone_p50_ms": round(api_alone, 2),
        "ratio_to_db_query": round(api_alone / db_p50, 2) if db_p50 else None,
        "ratio_under_load": round(p50 / db_p50, 2) if db_p50 else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a day instead of a week, 300 requests, 500 streams"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="API processes, as `linecare api --workers N` (default 1, as `linecare api`)",
    )
    parser.add_argument(
        "--serve",
        nargs=4,
        metavar=("DSN", "PORT", "STATE_DIR", "PROCESSES"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2], int(args.serve[3]))
        return 0
    sizes = QUICK if args.quick else FULL
    figures = asyncio.run(run_benchmark(sizes, args.processes, say=_say))
    print(json.dumps(figures))
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
