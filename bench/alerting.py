"""Alerting benchmark: ``python -m bench.alerting [--quick]``.

Starts its own TimescaleDB cluster (durable, as in production), registers a
plant of ``lines`` x ``machines`` machines and starts ``linecare analyze`` as
its own process with the live settings (OEE, anomaly refresh, alert job,
ticket cycle, every default). It writes 40 minutes of healthy running through
the real telemetry writer, from which that process learns each machine's
condition model as a fresh deployment does. Then this process feeds samples
through ``storage.telemetry_writer`` every 0.5 s (the collector's flush
interval) on a plant clock running ``speed`` times the wall clock; once every
machine is scored live, each machine's bearing starts to wear, one after the
other.

Figures (last line, one JSON object):
- ``ticket_latency_p50_s``, ``ticket_latency_p95_s``: wall seconds from the
  commit of the batch holding the triggering sample to the ticket being
  visible in the database. The triggering sample is the first one that
  completes the observation the sustained-anomaly rule fires on: the rule is
  replayed over the stored scores to find that observation, which completes
  once the plant clock passes its end by the scorer's ``settle``.
- ``alerts_per_s``: rule evaluations per second of the alert job over every
  machine (the sustained-anomaly and the predicted-limit rule each count one),
  with every machine's alert open and its scores and forecast in place.
- ``ticket_latency_p95_to_interval``: p95 over the live analytics interval
  (5 s). A loop that slept the interval between cycles waited up to that long
  after the triggering sample (p95 4.3 s on the quick run, 2 cores); the
  analyze loop now starts a cycle as soon as new telemetry completes an
  observation (``analytics.cycle_wakeup``), so the ratio stays well below 1.
  What is left is the cycle itself over the process's lines; with 40
  machines in one process the degradation forecast (a change-point search
  per machine) took most of it, and is now fitted at most every five minutes
  of plant time (``ForecastSettings.refresh_every_s``).

The plant clock runs ahead of the wall clock (``speed``), as the demo's
simulator does, so that a quick run sees its warnings within seconds; every
latency is measured in wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import yaml

from alerts.alert_job import run_alert_cycle
from alerts.anomaly_rules import RaiseAlert, SustainedAnomalyRule, assess_quiet
from analytics.condition_refresh_context import AnomalySettings
from bench.throwaway_services import throwaway_cluster
from models.anomaly import AnomalyScore
from models.plant import Plant
from models.readings import Reading
from models.states import PackMLState
from services.postgres_cluster import dsn as cluster_dsn
from settings.linecare_settings import Settings
from storage.anomaly_store import score_history
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.database import open_pool, prepare_database
from storage.telemetry_writer import write_readings

Figures = dict[str, object]

SAMPLE_S = 2.0
HEALTHY_HISTORY = timedelta(minutes=40)
# The wear: both bearing signals step up by this many of their normal spreads.
WEAR_SIGMAS = 8.0
NORMAL = {"vibration_rms": (2.0, 0.1), "bearing_temp": (45.0, 0.5), "motor_current": (12.0, 0.2)}
FLUSH_S = 0.5


@dataclass(frozen=True, slots=True)
class Sizes:
    lines: int
    machines: int  # per line
    speed: float  # plant seconds per wall second
    stagger_s: float  # plant seconds between two machines' wear
    alert_cycles: int  # repeats of the alert job for alerts_per_s
    # `linecare analyze` processes splitting the lines (analytics_partition_count).
    processes: int = 1


FULL = Sizes(lines=4, machines=10, speed=10.0, stagger_s=6.0, alert_cycles=20)
QUICK = Sizes(lines=2, machines=4, speed=20.0, stagger_s=10.0, alert_cycles=5)


def machine_ids(sizes: Sizes) -> list[str]:
    return [f"l{line}-m{m:02d}" for line in range(sizes.lines) for m in range(sizes.machines)]


def bench_plant(sizes: Sizes) -> Plant:
    """Lines of machines with the standard signals, three shifts every day, UTC."""
    shifts = [
        {"name": "early", "start": "06:00", "end": "14:00"},
        {"name": "late", "start": "14:00", "end": "22:00"},
        {"name": "night", "start": "22:00", "end": "06:00"},
    ]
    lines = [
        {
            "id": f"l{line}",
            "name": f"Line {line}",
            "model": "BENCH",
            "serial": f"L{line}",
            "acceptance_date": "2026-01-01",
            "source": {"protocol": "mqtt", "topic_template": "bench/{line}/{machine}"},
            "machines": [
                {"id": m, "name": m, "model": "BENCH", "serial": m}
                for m in machine_ids(sizes)
                if m.startswith(f"l{line}-")
            ],
        }
        for line in range(sizes.lines)
    ]
    site = {
        "id": "bench-site",
        "name": "Benchmark site",
        "timezone": "UTC",
        "calendar": {"shifts": shifts, "working_days": [1, 2, 3, 4, 5, 6, 7]},
        "lines": lines,
    }
    customer = {
        "id": "bench",
        "name": "Benchmark",
        "contact": {"name": "Bench"},
        "contract": {"number": "BENCH"},
        "sites": [site],
    }
    return Plant.model_validate(
        {
            "products": [{"code": 1, "name": "bench", "ideal_cycle_s": 1.0}],
            "customers": [customer],
        }
    )


@dataclass
class PlantFeed:
    """The machines' samples as a pure function of plant time, with each machine's wear onset."""

    machines: Sequence[str]
    start: datetime
    wear_from: dict[str, datetime] = field(default_factory=dict)

    def readings(self, since: datetime, until: datetime) -> list[Reading]:
        """Samples of every machine on the sample grid in ``[since, until)``."""
        first = int(np.ceil((since - self.start).total_seconds() / SAMPLE_S))
        last = int(np.ceil((until - self.start).total_seconds() / SAMPLE_S))
        readings: list[Reading] = []
        for index in range(first, last):
            when = self.start + timedelta(seconds=index * SAMPLE_S)
            for number, machine in enumerate(self.machines):
                readings += self._sample(machine, number, index, when)
        return readings

    def _sample(self, machine: str, number: int, index: int, when: datetime) -> list[Reading]:
        rng = np.random.default_rng((number, index))
        noise = rng.normal(size=len(NORMAL))
        wear = self.wear_from.get(machine)
        step = WEAR_SIGMAS if wear is not None and when >= wear else 0.0
        values = {
            "speed": 60.0,
            "good_count": float(int(index * SAMPLE_S) % 65536),
            "reject_count": 0.0,
        }
        if index == 0:
            # Coded values are reported on change, as OPC UA subscriptions do: the
            # machines run the one product throughout.
            values |= {"state": float(PackMLState.EXECUTE), "product": 1.0, "fault_code": 0.0}
        for k, (signal, (mean, spread)) in enumerate(NORMAL.items()):
            worn = step if signal != "motor_current" else 0.0
            values[signal] = mean + spread * (noise[k] + worn)
        return [Reading(when, machine, signal, value) for signal, value in values.items()]


@dataclass
class Batch:
    landed: float  # perf_counter at commit
    until: datetime  # every sample before this plant time is stored


async def _feed(
    pool: Pool, feed: PlantFeed, clock: PlantClock, batches: list[Batch], stop: asyncio.Event
) -> None:
    """Write the plant's samples as the collectors would: a batch every flush interval."""
    written = clock.plant_start
    async with pool.connection() as conn:
        while not stop.is_set():
            await asyncio.sleep(FLUSH_S)
            until = clock.now()
            await write_readings(conn, feed.readings(written, until))
            batches.append(Batch(time.perf_counter(), until))
            written = until


@dataclass(frozen=True, slots=True)
class PlantClock:
    plant_start: datetime
    wall_start: float
    speed: float

    def now(self) -> datetime:
        elapsed = (time.perf_counter() - self.wall_start) * self.speed
        return self.plant_start + timedelta(seconds=elapsed)


async def _watch_tickets(pool: Pool, seen: dict[str, float], stop: asyncio.Event) -> None:
    """When each machine's ticket first became visible (perf_counter)."""
    async with pool.connection() as conn:
        await conn.set_autocommit(True)
        while not stop.is_set():
            cursor = await conn.execute("SELECT machine_id FROM tickets")
            now = time.perf_counter()
            for (machine_id,) in await cursor.fetchall():
                seen.setdefault(machine_id, now)
            await asyncio.sleep(0.01)


def raising_observation(scores: Sequence[AnomalyScore], rule: SustainedAnomalyRule) -> datetime:
    """The end of the first observation on which the rule raises, replaying it score by score."""
    for end in range(1, len(scores) + 1):
        window = scores[max(0, end - rule.history_observations) : end]
        if isinstance(assess_quiet(window, rule), RaiseAlert):
            return scores[end - 1].time
    raise ValueError("the rule never raises on these scores")


def landing_of(batches: Sequence[Batch], plant_time: datetime) -> float:
    """When the first batch holding a sample at or after ``plant_time`` committed."""
    return next(b.landed for b in batches if b.until > plant_time)


async def _analyze_process(
    settings_env: dict[str, str], log_file: Path
) -> asyncio.subprocess.Process:
    with log_file.open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "launcher.cli", "analyze",
            env={**os.environ, **settings_env},
            stdout=log,
            stderr=log,
        )  # fmt: skip


def _tail(log_file: Path, lines: int = 20) -> str:
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


async def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {what} within {timeout_s:.0f} s")
        await asyncio.sleep(0.05)


async def _machines_scored_past(pool: Pool, when: datetime) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM condition_scoring WHERE scored_until >= %s", (when,)
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0


async def run_benchmark(sizes: Sizes, say: Callable[[str], None] = print) -> Figures:
    """Every figure of the benchmark, measured on a cluster of its own."""
    plant = bench_plant(sizes)
    machines = machine_ids(sizes)
    live = Settings(database_url="postgresql://unused", manage_services=False)
    with throwaway_cluster(durable=True) as cluster, tempfile.TemporaryDirectory() as work:
        dsn = cluster_dsn(cluster, "bench")
        await prepare_database(dsn, plant, live.retention)
        say("database ready")
        plant_file = Path(work) / "plant.yaml"
        plant_file.write_text(yaml.safe_dump(plant.model_dump(mode="json"), allow_unicode=True))
        pool = open_pool(dsn, max_size=4)
        await pool.open(wait=True)
        try:
            return await _measure(pool, plant, machines, sizes, dsn, plant_file, live, say)
        finally:
            await pool.close()


async def _measure(
    pool: Pool,
    plant: Plant,
    machines: list[str],
    sizes: Sizes,
    dsn: str,
    plant_file: Path,
    live: Settings,
    say: Callable[[str], None],
) -> Figures:
    # Started first: they load while the history is written, then learn each
    # machine's model from it, as freshly deployed analyze processes do.
    logs = [plant_file.parent / f"analyze-{index}.log" for index in range(sizes.processes)]
    processes = [
        await _analyze_process(
            {
                "LINECARE_DATABASE_URL": dsn,
                "LINECARE_PLANT_FILE": str(plant_file),
                "LINECARE_MANAGE_SERVICES": "false",
                "LINECARE_STATE_DIR": str(plant_file.parent),
                "LINECARE_ANALYTICS_PARTITION_COUNT": str(sizes.processes),
                "LINECARE_ANALYTICS_PARTITION_INDEX": str(index),
            },
            log,
        )
        for index, log in enumerate(logs)
    ]
    live_start = datetime.now(UTC).replace(microsecond=0)
    feed = PlantFeed(machines, live_start - HEALTHY_HISTORY)
    async with pool.connection() as conn:
        await write_readings(conn, feed.readings(feed.start, live_start))
    say(f"{HEALTHY_HISTORY} of healthy running written")
    clock = PlantClock(live_start, time.perf_counter(), sizes.speed)
    batches: list[Batch] = []
    seen: dict[str, float] = {}
    # Stopped by a flag, not cancelled, so no statement is cut off mid-flight.
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_feed(pool, feed, clock, batches, stop)),
        asyncio.create_task(_watch_tickets(pool, seen, stop)),
    ]
    try:
        # The analyze process is ready once every machine's model scores what the feed wrote.
        ready_at = clock.now()
        deadline = time.perf_counter() + 180
        while await _machines_scored_past(pool, ready_at) < len(machines):
            ended = [
                log for log, p in zip(logs, processes, strict=True) if p.returncode is not None
            ]
            if time.perf_counter() > deadline or ended:
                log = _tail(ended[0] if ended else logs[0])
                raise RuntimeError(f"linecare analyze did not start scoring:\n{log}")
            await asyncio.sleep(0.1)
        onset = clock.now() + timedelta(seconds=20)
        for number, machine in enumerate(machines):
            feed.wear_from[machine] = onset + timedelta(seconds=number * sizes.stagger_s)
        say(f"analyze is scoring; wear from plant time {onset:%H:%M:%S}")
        await _wait_for(lambda: len(seen) == len(machines), 300, "ticket on every machine")
        say(f"{len(seen)} tickets opened")
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for analyze in processes:
            if analyze.returncode is None:
                analyze.terminate()
            await analyze.wait()
    latencies = await _latencies(pool, machines, batches, seen, live_start)
    rate = await _alerts_per_s(pool, plant, sizes.alert_cycles, clock.now())
    say(f"{sizes.alert_cycles} alert cycles timed")
    p95 = float(np.percentile(latencies, 95))
    return {
        "ticket_latency_p50_s": round(statistics.median(latencies), 3),
        "ticket_latency_p95_s": round(p95, 3),
        "alerts_per_s": round(rate),
        "ticket_latency_p95_to_interval": round(p95 / live.analytics_interval_s, 3),
        "ticket_latency_max_s": round(max(latencies), 3),
        "tickets": len(latencies),
        "machines": len(machines),
        "analytics_interval_s": live.analytics_interval_s,
        "plant_speed": sizes.speed,
        "analyze_processes": sizes.processes,
        "sizes": asdict(sizes),
        "cpus": os.cpu_count(),
    }


async def _latencies(
    pool: Pool,
    machines: Sequence[str],
    batches: Sequence[Batch],
    seen: dict[str, float],
    since: datetime,
) -> list[float]:
    rule = SustainedAnomalyRule()
    settle = AnomalySettings().settle
    latencies = []
    async with pool.connection() as conn:
        for machine in machines:
            scores = await score_history(
                conn,
                machine_id=machine,
                since=since,
                until=since + timedelta(days=1),
                scope=EVERY_CUSTOMER,
            )
            completes = raising_observation(scores, rule) + settle
            latencies.append(seen[machine] - landing_of(batches, completes))
    return latencies


async def _alerts_per_s(pool: Pool, plant: Plant, cycles: int, now: datetime) -> float:
    machines = sum(1 for _ in plant.placements())
    started = time.perf_counter()
    for _ in range(cycles):
        await run_alert_cycle(pool, plant, now=now)
    return cycles * machines * 2 / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerting", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller plant, under a minute")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="analyze processes splitting the lines, e.g. one per core (default 1)",
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    started = time.monotonic()
    sizes = replace(QUICK if args.quick else FULL, processes=args.processes)
    figures = asyncio.run(run_benchmark(sizes, say=_say))
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(json.dumps(figures), flush=True)
    return 0


_STARTED = time.monotonic()


def _say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
