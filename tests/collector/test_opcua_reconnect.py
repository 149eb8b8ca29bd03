"""A collector outlives its server: restarts, and subscriptions the server let expire."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import OpcUaSource
from models.plant import Line, Plant
from services.free_ports import free_port
from simulator.opcua_server import serving_opcua
from simulator.plant_simulation import PlantSimulation, SimulationTick
from simulator.scenarios import QUIET
from storage.connections import Pool
from tests.simulator.scenario_factories import SEED, START

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def line_1(plant: Plant) -> Line:
    (line, *_) = (line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource))
    assert isinstance(line.source, OpcUaSource)
    source = line.source.model_copy(update={"publishing_interval_ms": 50})
    return line.model_copy(update={"source": source})


@pytest.fixture
def first_tick(plant: Plant) -> SimulationTick:
    """What a freshly started server holds: the same values before and after a restart."""
    return PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET).advance_to(START)


async def _speeds(pool: Pool, expected: int) -> dict[datetime, float]:
    speeds: dict[datetime, float] = {}
    for _ in range(150):
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT time, value FROM telemetry"
                " WHERE machine_id = 'l1-filler' AND signal = 'speed' ORDER BY time"
            )
            speeds = {row[0]: row[1] for row in await cursor.fetchall()}
        if len(speeds) >= expected:
            break
        await asyncio.sleep(0.1)
    return speeds


async def test_a_restarted_server_is_collected_again_without_doubled_samples(
    pool: Pool, line_1: Line, first_tick: SimulationTick
) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}/restart/"
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(
        url,
        [line_1],
        sink,
        initial_backoff_s=0.2,
        max_backoff_s=0.5,
        timing=SessionTiming(keepalive_s=1.0, watch_interval_s=0.1),
    )
    before, after = START + timedelta(minutes=1), START + timedelta(minutes=2)
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        async with serving_opcua(url, [line_1], first_tick) as server:
            await asyncio.wait_for(subscriber.connected.wait(), 15)
            await server.write_value("l1-filler", "speed", 1.0, before)
            await _speeds(pool, 2)
        # The server is gone: the collector notices and keeps trying, capped at 0.5 s.
        for _ in range(50):
            if not subscriber.connected.is_set():
                break
            await asyncio.sleep(0.1)
        assert subscriber.last_error is not None
        received_before_restart = sink.counters.received
        async with serving_opcua(url, [line_1], first_tick) as server:
            await asyncio.wait_for(subscriber.connected.wait(), 15)
            await server.write_value("l1-filler", "speed", 2.0, after)
            speeds = await _speeds(pool, 3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    (speed_at_start,) = (
        s.value for s in first_tick.samples if (s.machine_id, s.signal) == ("l1-filler", "speed")
    )
    assert speeds == {START: speed_at_start, before: 1.0, after: 2.0}
    # The restarted server sent its initial values again; they were absorbed, not doubled.
    assert sink.counters.received - received_before_restart > 27
    assert sink.counters.duplicates >= 27


async def test_a_subscription_expired_on_the_server_is_created_again(
    pool: Pool, line_1: Line, first_tick: SimulationTick, caplog: pytest.LogCaptureFixture
) -> None:
    """The database stalls long enough for the server to drop the subscription."""
    url = f"opc.tcp://127.0.0.1:{free_port()}/expiry/"
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(
        url,
        [line_1],
        sink,
        # One reading not yet durable is enough to hold the subscription back.
        max_in_flight=1,
        timing=SessionTiming(keepalive_s=0.2, lifetime_s=1.0, watch_interval_s=0.1),
    )
    caplog.set_level(logging.WARNING, logger="collector.opcua_session")
    async with serving_opcua(url, [line_1], first_tick) as server:
        collecting = asyncio.create_task(subscriber.run())
        await asyncio.wait_for(subscriber.connected.wait(), 15)
        # No sink is writing: the initial values stay in flight and the client stops
        # asking to publish; the server sees its lifetime pass with changes pending.
        for second in range(20):
            at = START + timedelta(minutes=1, seconds=second)
            await server.write_value("l1-filler", "speed", float(second), at)
            await asyncio.sleep(0.1)
        writing = asyncio.create_task(sink.run())
        try:
            last = START + timedelta(minutes=5)
            for _ in range(100):
                await server.write_value("l1-filler", "speed", 99.0, last)
                speeds = await _speeds(pool, 1)
                if last in speeds:
                    break
                await asyncio.sleep(0.1)
        finally:
            collecting.cancel()
            writing.cancel()
            await asyncio.gather(collecting, writing, return_exceptions=True)

    assert speeds.get(last) == 99.0
    assert "subscription lost; subscribing again" in caplog.text
