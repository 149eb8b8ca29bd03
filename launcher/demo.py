"""Wiring the processes together: `linecare demo` and the single-process commands."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from analytics.analytics_job import latest_telemetry_time
from collector.mqtt_connection import discard_session
from launcher import processes
from launcher.local_services import LocalServices
from launcher.settings import Settings
from models.plant import Plant
from services.free_ports import port_is_open
from storage.connections import Pool
from storage.database import open_pool, prepare_database
from storage.telemetry_queries import latest_counter_values
from storage.timescale_features import Edition
from storage.user_store import seed_demo_users

log = logging.getLogger(__name__)

_DRAIN_S = 1.0


class DemoError(RuntimeError):
    """The demo cannot start; the message says what to do."""


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


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


async def _prepared_pool(settings: Settings, plant: Plant) -> tuple[Pool, Edition]:
    features = await prepare_database(settings.dsn(), plant, settings.retention)
    pool = open_pool(settings.dsn(), max_size=10)
    await pool.open(wait=True)
    return pool, features.edition


async def run_demo(settings: Settings, plant: Plant, *, reset: bool = False) -> None:
    """Services, simulator, collectors, analytics, alerts and API in one process."""
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
    services = LocalServices.from_settings(settings) if settings.manage_services else None
    started = await asyncio.to_thread(services.up) if services else []
    try:
        if reset:
            await _drop_database(settings.dsn())
            # Messages the broker kept for the collector belong to the old plant.
            await asyncio.to_thread(discard_session, settings.mqtt_connection())
        pool, edition = await _prepared_pool(settings, plant)
        try:
            async with pool.connection() as conn:
                await seed_demo_users(conn)
            start = await _simulation_start(pool)
            async with pool.connection() as conn:
                # A PLC's counters go on across a restart; so do the simulated ones.
                counters = await latest_counter_values(conn)
            await _run_pipeline(settings, plant, pool, edition, start, counters)
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
    start: datetime,
    counters: dict[str, tuple[int, int]],
) -> None:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    url = f"http://{settings.api_host}:{settings.api_port}"
    log.info(
        "simulated plant starts at %s, %gx speed", start.isoformat(), settings.simulation_speed
    )
    log.info("console: %s/#token=demo-support  (Ctrl-C stops everything)", url)
    async with asyncio.TaskGroup() as group:
        group.create_task(processes.serve_api(settings, plant, pool, stop))
        simulator_ready = asyncio.Event()
        background = [
            group.create_task(
                processes.simulate(
                    settings, plant, start=start, ready=simulator_ready, initial_counts=counters
                )
            ),
            group.create_task(processes.analyze(settings, plant, pool, edition)),
        ]
        # Collectors start once the simulated servers listen, not into refused connections.
        await _first_of(simulator_ready, stop)
        background.append(group.create_task(processes.collect(settings, plant, pool)))
        await stop.wait()
        log.info("stopping")
        # The plant first, then a moment for the collectors to store what it sent,
        # so nothing waits on the broker for the next run.
        simulation, *pipeline = background
        simulation.cancel()
        await asyncio.gather(simulation, return_exceptions=True)
        await asyncio.sleep(_DRAIN_S)
        for task in reversed(pipeline):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


async def _run_until_signal(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    task = asyncio.create_task(work())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    task.cancel()
    stopper.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def run_simulator_only(settings: Settings, plant: Plant) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    await _run_until_signal(lambda: processes.simulate(settings, plant, start=start))


async def run_collector_only(settings: Settings, plant: Plant) -> None:
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


async def run_api_only(settings: Settings, plant: Plant) -> None:
    pool, _ = await _prepared_pool(settings, plant)
    try:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await processes.serve_api(settings, plant, pool, stop)
    finally:
        await pool.close()
