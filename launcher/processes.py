"""The long-running LineCare processes, each an async function over settings and plant.

docker-compose runs each in its own container (`linecare collect`, `analyze`,
`api`, `simulate`); `linecare demo` runs them all in one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Generator
from datetime import UTC, datetime, timedelta

import psycopg
import uvicorn

from alerts.alert_job import run_alert_cycle
from alerts.maintenance_job import PLAN_FILE_NAME, import_plan_file, run_maintenance_cycle
from alerts.ticket_cycle import run_ticket_cycle
from analytics.analytics_job import latest_telemetry_time, line_now, run_analytics_cycle
from analytics.condition_refresh_context import AnomalySettings
from analytics.cycle_wakeup import wait_for_next_cycle
from analytics.fleet_partition import FleetPartition
from analytics.trend_rollup_job import run_trend_rollups
from api.app import create_app
from collector.collector_metrics import collector_registry, serving_metrics
from collector.disk_spool import DiskSpool
from collector.run_collectors import build_collectors
from collector.source_liveness import SourceLiveness
from collector.source_status import SourceStatusBoard
from collector.sparkplug_birth_store import SparkplugBirthStore
from collector.telemetry_sink import TelemetrySink
from models.plant import Plant
from notifications.notification_job import run_notifications
from settings.linecare_settings import Settings
from simulator.run_simulator import run_simulation
from simulator.scenarios import Scenario
from storage.connections import Pool
from storage.timescale_features import Edition, enforce_retention

log = logging.getLogger(__name__)

_RETENTION_EVERY = timedelta(hours=1)


async def collect(settings: Settings, plant: Plant, pool: Pool) -> None:
    """OPC UA and MQTT collectors feeding TimescaleDB, until cancelled.

    Batches wait in a disk spool while TimescaleDB is unreachable; machines that
    stop sending are marked offline; metrics are served on their own port.
    """
    # Opening scans and may repair up to the bound of spooled data: off the loop.
    spool = await asyncio.to_thread(
        DiskSpool,
        settings.collector_spool_dir or settings.state_dir / "spool",
        max_bytes=settings.collector_spool_max_bytes,
    )
    liveness = SourceLiveness(
        [placement.machine.id for placement in plant.placements()],
        offline_after_s=settings.collector_offline_after_s,
    )
    sink = TelemetrySink(
        pool,
        batch_size=settings.write_batch_size,
        flush_interval_s=settings.write_flush_interval_s,
        spool=spool,
        liveness=liveness,
    )
    # Sources that fail or die mark their machines offline at once, with the reason.
    status = SourceStatusBoard(liveness)
    collectors = build_collectors(
        plant,
        sink,
        mqtt=settings.mqtt_connection(),
        opcua_credentials=settings.opcua_credentials,
        opcua_endpoints=settings.opcua_endpoint_map,
        sample_bounds=settings.sample_bounds(),
        plc_events=pool,
        opcua_max_backoff_s=settings.opcua_max_backoff_s,
        sparkplug_partition=settings.sparkplug_partition(),
        sparkplug_births=SparkplugBirthStore(settings.sparkplug_birth_dir()),
        status=status,
    )
    registry = collector_registry(sink, liveness, spool, status)
    metrics = serving_metrics(
        registry, settings.collector_metrics_port, settings.collector_metrics_host
    )
    with spool, metrics:
        async with asyncio.TaskGroup() as group:
            group.create_task(collectors.run())
            group.create_task(liveness.run(pool))


async def analyze(settings: Settings, plant: Plant, pool: Pool, edition: Edition) -> None:
    """OEE, anomaly scores and alert rules every few seconds, until cancelled; beside
    them the notification job sends what the tickets' events call for, and the
    trend rollups follow the telemetry."""
    imported = await import_plan_file(
        pool, settings.plant_file.parent / PLAN_FILE_NAME, at=datetime.now(UTC)
    )
    if imported:
        log.info("maintenance plans imported for %s", ", ".join(imported))
    async with asyncio.TaskGroup() as group:
        group.create_task(run_notifications(pool, settings.notification_policy()))
        group.create_task(run_trend_rollups(pool, plant, settings.analytics_partition()))
        group.create_task(_analysis_loop(settings, plant, pool, edition))


async def _analysis_loop(settings: Settings, plant: Plant, pool: Pool, edition: Edition) -> None:
    """The analysis cycle every few seconds.

    "Now" is the newest telemetry time, not the wall clock: a simulated or
    replayed plant runs on its own clock. A cycle starts as soon as new telemetry
    completes an observation (so a warning reaches its ticket without waiting
    out the interval), and at the latest ``analytics_interval_s`` after the last.
    """
    last_retention = datetime.min.replace(tzinfo=UTC)
    while True:
        cycle_began = None
        cycle_started = time.monotonic()
        try:
            cycle_began = await latest_telemetry_time(pool)
            await analysis_cycle(pool, plant, settings.analytics_partition())
            if datetime.now(UTC) - last_retention > _RETENTION_EVERY:
                async with pool.connection() as conn:
                    await enforce_retention(
                        conn, edition, settings.retention, history=settings.history_retention()
                    )
                last_retention = datetime.now(UTC)
        except psycopg.Error as error:
            # A database hiccup costs one cycle, not the process: the next one
            # recomputes the same shifts and windows.
            log.warning("analytics cycle failed, retrying next cycle: %s", error)
        except Exception:
            # Bad data must not stop OEE and warnings for every other line; the
            # traceback names what to fix.
            log.exception("analytics cycle failed, retrying next cycle")
        await wait_for_next_cycle(
            pool,
            cycle_began=cycle_began,
            settle=AnomalySettings().settle,
            interval_s=settings.analytics_interval_s,
            cycle_took_s=time.monotonic() - cycle_started,
        )


async def analysis_cycle(pool: Pool, plant: Plant, partition: FleetPartition) -> None:
    """One cycle over this process's lines, each as of its own newest sample."""
    for line in partition.lines(plant):
        now = await line_now(pool, line)
        if now is None:
            continue
        analytics = await run_analytics_cycle(pool, plant, now=now, line=line)
        alerts = await run_alert_cycle(
            pool, plant, now=now, machine_ids=[m.id for m in line.machines]
        )
        await run_ticket_cycle(pool, plant, now=now, line=line)
        maintenance = await run_maintenance_cycle(pool, plant, now=now, line=line)
        for number in maintenance.opened:
            log.info("maintenance plan opened service ticket %s", number)
        log.debug("cycle of %s at %s: %s %s", line.id, now, analytics, alerts)
        for number in alerts.tickets:
            log.info("early warning opened service ticket %s", number)


class _EmbeddedServer(uvicorn.Server):
    # The host process owns SIGINT/SIGTERM and stops us through should_exit.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve_api(settings: Settings, plant: Plant, pool: Pool, stop: asyncio.Event) -> None:
    """The REST API and web console until ``stop`` is set."""
    app = create_app(settings, plant, pool=pool)
    server = _EmbeddedServer(
        uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving


async def simulate(
    settings: Settings,
    plant: Plant,
    *,
    start: datetime,
    scenario: Scenario | None = None,
    ready: asyncio.Event | None = None,
    initial_counts: dict[str, tuple[int, int]] | None = None,
    story_start: datetime | None = None,
    pause: asyncio.Event | None = None,
) -> None:
    """The simulated plant: OPC UA server and MQTT publisher, until cancelled.

    ``scenario`` defaults to the demo story; tests pass compressed timelines.
    ``story_start`` resumes a plant that first ran from then (see
    ``run_simulation``). Setting ``pause`` stops the plant's clock and publishing
    while its servers stay up until cancelled, so collectors can leave first.
    """
    await run_simulation(
        plant,
        mqtt_host=settings.mqtt_host,
        mqtt_port=settings.mqtt_port,
        speed=settings.simulation_speed,
        seed=settings.simulation_seed,
        start=start,
        scenario=scenario or Scenario(),
        opcua_endpoints=settings.opcua_endpoint_map,
        stop=pause,
        ready=ready,
        tick_s=settings.simulation_tick_s,
        initial_counts=initial_counts,
        story_start=story_start,
        linger=pause is not None,
    )
