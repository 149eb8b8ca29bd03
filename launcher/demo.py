"""Wiring the processes together: `linecare demo` and the single-process commands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from analytics.analytics_job import latest_telemetry_time
from collector.garbage_collection import tune_for_ingest
from collector.mqtt_connection import discard_session
from launcher import processes
from launcher.demo_data import seed_demo_data
from launcher.demo_story import DemoStory
from launcher.local_services import LocalServices
from models.plant import Plant
from services.free_ports import free_port, port_is_open
from settings.linecare_settings import Settings
from simulator.opcua_server import opcua_lines_by_endpoint
from simulator.run_simulator import served_endpoints
from storage.connections import Pool
from storage.database import open_pool, prepare_database
from storage.plant_clock import earliest_telemetry_time
from storage.telemetry_queries import latest_counter_values
from storage.timescale_features import Edition

log = logging.getLogger(__name__)

_DRAIN_S = 1.0
_OPCUA_DEFAULT_PORT = 4840


class DemoError(RuntimeError):
    """The demo cannot start; the message says what to do."""


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[asyncio.Event]:
    """An event that SIGINT and SIGTERM set while the context lasts; then they are ours no more."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _drop_database(dsn: str) -> None:
    name = str(conninfo_to_dict(dsn).get("dbname"))
    maintenance = make_conninfo(dsn, dbname="postgres")
    async with await psycopg.AsyncConnection.connect(maintenance, autocommit=True) as conn:
        await conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


async def _simulation_start(pool: Pool) -> datetime:
    """Now, or just after the newest stored sample when an earlier run got ahead of now.

    The simulated plant runs faster than the wall clock; starting a second run at
    "now" would replay times the database already holds.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    latest = await latest_telemetry_time(pool)
    if latest is None or latest < now:
        return now
    return latest.replace(microsecond=0) + timedelta(seconds=1)


async def _story_start(pool: Pool) -> datetime | None:
    """When the stored plant first ran: its oldest sample; None for an empty database.

    A restarted simulator continues the plant's story from there. Should retention
    ever drop the first samples, the story is long told; only the changeover
    rhythm moves.
    """
    async with pool.connection() as conn:
        return await earliest_telemetry_time(conn)


@dataclass(frozen=True, slots=True)
class _PlantResumption:
    """Where the simulated plant picks up: its first tick, its story, its counters."""

    start: datetime
    story_start: datetime | None
    counters: dict[str, tuple[int, int]]


def _check_opcua_ports(settings: Settings, plant: Plant) -> None:
    """A taken simulator port is a one-line error naming the way out, not two tracebacks."""
    moves = settings.opcua_endpoint_map
    try:
        served_endpoints(plant, moves)
    except ValueError as error:
        raise DemoError(f"LINECARE_OPCUA_ENDPOINT_MAP: {error}") from None
    for endpoint, lines in opcua_lines_by_endpoint(plant).items():
        url = urlsplit(moves.get(endpoint, endpoint))
        host, port = url.hostname or "127.0.0.1", url.port or _OPCUA_DEFAULT_PORT
        if not port_is_open(port, host):
            continue
        moved = url._replace(netloc=f"{host}:{_free_port_after(port, host)}").geturl()
        served = ", ".join(line.id for line in lines)
        raise DemoError(
            f"port {port} of the simulated OPC UA server ({served}) is taken: stop what uses"
            f" it or move the server with"
            f" LINECARE_OPCUA_ENDPOINT_MAP='{json.dumps({**moves, endpoint: moved})}'"
        )


def _free_port_after(port: int, host: str) -> int:
    """A free port a little above ``port``, easier to recognise than a random one."""
    for candidate in range(port + 10, min(port + 100, 65536)):
        if not port_is_open(candidate, host):
            return candidate
    return free_port()


async def _prepared_pool(settings: Settings, plant: Plant) -> tuple[Pool, Edition]:
    features = await prepare_database(settings.dsn(), plant, settings.retention)
    pool = open_pool(settings.dsn(), max_size=10)
    await pool.open(wait=True)
    return pool, features.edition


async def run_demo(
    settings: Settings, plant: Plant, *, reset: bool = False, story: bool = True
) -> None:
    """Services, simulator, collectors, analytics, alerts and API in one process; with
    ``story``, demo people also work the bearing warning's ticket (``demo_story``)."""
    # The simulated plant runs ahead of the wall clock and resumes where an earlier
    # run stopped: its sample times are right even when they look like the future.
    settings = settings.model_copy(update={"sample_max_age_s": None, "sample_max_lead_s": None})
    if settings.database_url:
        # The demo seeds public tokens that see every customer, and --reset drops
        # the database: never on a database it did not create.
        raise DemoError(
            "the demo runs on its own local cluster: unset LINECARE_DATABASE_URL"
            " (use `linecare collect`, `analyze` and `api` against a real database)"
        )
    if port_is_open(settings.api_port, settings.api_host):
        raise DemoError(
            f"port {settings.api_port} is taken: stop what uses it or set LINECARE_API_PORT"
        )
    _check_opcua_ports(settings, plant)
    services = LocalServices.from_settings(settings) if settings.manage_services else None
    started = await asyncio.to_thread(services.up) if services else []
    try:
        if reset:
            await _drop_database(settings.dsn())
            # Messages the broker kept for the collector belong to the old plant,
            # and so do the Sparkplug births the collector kept of that session.
            await asyncio.to_thread(discard_session, settings.mqtt_connection())
            await asyncio.to_thread(
                shutil.rmtree, settings.sparkplug_birth_dir(), ignore_errors=True
            )
        pool, edition = await _prepared_pool(settings, plant)
        try:
            async with pool.connection() as conn:
                await seed_demo_data(conn, plant=plant, settings=settings)
            start = await _simulation_start(pool)
            async with pool.connection() as conn:
                # A PLC's counters go on across a restart; so do the simulated ones.
                counters = await latest_counter_values(conn)
            # The fault story and the machines' warmth go on as well.
            resumption = _PlantResumption(start, await _story_start(pool), counters)
            with _stopping_on_signals() as stop:
                await _run_pipeline(settings, plant, pool, edition, resumption, stop, story)
        finally:
            await pool.close()
    finally:
        if services is not None:
            await asyncio.to_thread(services.down, started)
            log.info("stopped %s", ", ".join(started) or "nothing (services were already up)")


async def _run_pipeline(
    settings: Settings,
    plant: Plant,
    pool: Pool,
    edition: Edition,
    resumption: _PlantResumption,
    stop: asyncio.Event,
    story: bool,
) -> None:
    """Every process of the demo until ``stop`` is set, then a quiet shutdown."""
    url = f"http://{settings.api_host}:{settings.api_port}"
    start, story_start = resumption.start, resumption.story_start
    if story_start is None:
        log.info(
            "simulated plant starts at %s, %gx speed", start.isoformat(), settings.simulation_speed
        )
    else:
        log.info(
            "simulated plant resumes at %s, %s into its story, %gx speed",
            start.isoformat(),
            start - story_start,
            settings.simulation_speed,
        )
    log.info(
        "console: %s/sign-in (demo logins: demo-desk, demo-support, demo-nordbrau, "
        "demo-alpenpack, demo-field-1..3, password linecare-demo)  (Ctrl-C stops everything)",
        url,
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(processes.serve_api(settings, plant, pool, stop))
        simulator_ready, plant_paused = asyncio.Event(), asyncio.Event()
        background = [
            group.create_task(
                processes.simulate(
                    settings,
                    plant,
                    start=start,
                    ready=simulator_ready,
                    initial_counts=resumption.counters,
                    story_start=story_start,
                    pause=plant_paused,
                )
            ),
            group.create_task(processes.analyze(settings, plant, pool, edition)),
        ]
        # Collectors start once the simulated servers listen, not into refused connections.
        await _first_of(simulator_ready, stop)
        background.append(group.create_task(processes.collect(settings, plant, pool)))
        if story:
            background.append(group.create_task(DemoStory(url).tell()))
        await stop.wait()
        log.info("stopping")
        # The plant's clock first, then a moment for the collectors to store what it
        # sent, so nothing waits on the broker for the next run. The collectors then
        # leave before the simulated servers close: a server vanishing under them
        # is an outage to them, with warnings and reconnects.
        plant_paused.set()
        await asyncio.sleep(_DRAIN_S)
        for task in reversed(background):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


async def _run_until_signal(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with _stopping_on_signals() as stop:
        task = asyncio.create_task(work())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        stopper.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def run_simulator_only(settings: Settings, plant: Plant) -> None:
    _check_opcua_ports(settings, plant)
    start = datetime.now(UTC).replace(microsecond=0)
    await _run_until_signal(lambda: processes.simulate(settings, plant, start=start))


async def run_collector_only(settings: Settings, plant: Plant) -> None:
    # A process of its own: tuned for ingest (the demo's shared process is not).
    tune_for_ingest()
    pool, _ = await _prepared_pool(settings, plant)
    try:
        await _run_until_signal(lambda: processes.collect(settings, plant, pool))
    finally:
        await pool.close()


async def run_analytics_only(settings: Settings, plant: Plant) -> None:
    pool, edition = await _prepared_pool(settings, plant)
    try:
        await _run_until_signal(lambda: processes.analyze(settings, plant, pool, edition))
    finally:
        await pool.close()


async def prepare_api_database(settings: Settings, plant: Plant) -> None:
    """Migrations and the plant's assets, once, before API workers start."""
    pool, _ = await _prepared_pool(settings, plant)
    await pool.close()


async def run_api_only(settings: Settings, plant: Plant) -> None:
    pool, _ = await _prepared_pool(settings, plant)
    try:
        with _stopping_on_signals() as stop:
            await processes.serve_api(settings, plant, pool, stop)
    finally:
        await pool.close()
