"""Events from a source no machine is mapped to, at a high rate: counted in a metric and
dead-lettered once, not once per event; a plant file that filters event types keeps
them away altogether."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from asyncua import ua
from asyncua.server.event_generator import EventGenerator
from asyncua.server.server import Server
from asyncua.ua.object_ids import ObjectIds

from collector.collector_metrics import collector_registry
from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.source_status import SourceStatusBoard
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import OpcUaSource
from models.plant import Line, Plant
from services.free_ports import free_port
from storage.connections import Pool
from tests.collector.conftest import count_rows, wait_for_rows

pytestmark = pytest.mark.integration

FILLER = "l1-filler"
BURST = 2000
UNMAPPED_EVENTS = "linecare_collector_unmapped_event_source_events_total"
ROBOT_LETTERS = "SELECT count(*) FROM dead_letters WHERE reason LIKE '%''Robot7''%'"


@dataclass
class EventServer:
    url: str
    server: Server
    alarm_type: ua.NodeId
    robot: EventGenerator  # BaseEventType, from a source no machine is mapped to
    filler: EventGenerator  # the PLC's alarm type, from the filler

    async def fire(self, generator: EventGenerator, source: str, times: int) -> None:
        """``times`` events as fast as the server takes them, in bursts of 200: the
        server's queue per monitored item holds 1000 between two publishes."""
        for number in range(times):
            if number and number % 200 == 0:
                await asyncio.sleep(0.1)
            # Event objects take their fields as attributes, per event type.
            event: Any = generator.event
            event.SourceName = source
            event.EventId = f"{source}-{number}".encode()
            await generator.trigger(time_attr=datetime.now(UTC), message=f"{source} {number}")


@pytest.fixture
async def event_server() -> AsyncIterator[EventServer]:
    url = f"opc.tcp://127.0.0.1:{free_port()}/events/"
    server = Server()
    await server.init()
    server.set_endpoint(url)
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    namespace = await server.register_namespace("urn:linecare:test:events")
    machine = await server.nodes.objects.add_folder(namespace, FILLER)
    speed = ua.NodeId(ua.String(f"line-1.{FILLER}.speed"), ua.Int16(namespace))
    await machine.add_variable(speed, ua.QualifiedName("speed", namespace), 0.0)
    alarm_type = await server.create_custom_event_type(
        namespace, "PlcAlarmType", ObjectIds.BaseEventType, [("FaultCode", ua.VariantType.UInt32)]
    )
    robot = await server.get_event_generator()
    filler = await server.get_event_generator(alarm_type)
    async with server:
        yield EventServer(url, server, alarm_type.nodeid, robot, filler)


def _filler_line(plant: Plant, url: str, types: tuple[str, ...] = ()) -> Line:
    (line, *_) = (line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource))
    assert isinstance(line.source, OpcUaSource)
    (filler,) = (machine for machine in line.machines if machine.id == FILLER)
    speed = tuple(signal for signal in filler.signals if signal.name == "speed")
    events = line.source.events.model_copy(update={"types": types})
    source = line.source.model_copy(
        update={"endpoint": url, "publishing_interval_ms": 50, "events": events}
    )
    machine = filler.model_copy(update={"signals": speed})
    return line.model_copy(update={"source": source, "machines": (machine,)})


@dataclass
class Collecting:
    subscriber: OpcUaSubscriber
    status: SourceStatusBoard
    sink: TelemetrySink

    def unmapped_count(self, url: str) -> float:
        registry = collector_registry(self.sink, status=self.status)
        value = registry.get_sample_value(UNMAPPED_EVENTS, {"subject": f"{url} Robot7 (i=2253)"})
        return value or 0.0


@asynccontextmanager
async def _collect(pool: Pool, line: Line, url: str) -> AsyncIterator[Collecting]:
    status = SourceStatusBoard()
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(
        url,
        [line],
        sink,
        plc_events=pool,
        status=status,
        timing=SessionTiming(keepalive_s=1.0, watch_interval_s=0.1),
    )
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        await asyncio.wait_for(subscriber.connected.wait(), 15)
        yield Collecting(subscriber, status, sink)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_burst_from_an_unmapped_source_is_one_dead_letter_and_a_count(
    event_server: EventServer, pool: Pool, plant: Plant
) -> None:
    line = _filler_line(plant, event_server.url)
    async with _collect(pool, line, event_server.url) as collecting:
        await event_server.fire(event_server.robot, "Robot7", BURST)
        await event_server.fire(event_server.filler, FILLER, 1)
        stored = await wait_for_rows(pool, "SELECT count(*) FROM plc_events", 1)
        for _ in range(200):
            if collecting.unmapped_count(event_server.url) >= BURST:
                break
            await asyncio.sleep(0.05)
        counted = collecting.unmapped_count(event_server.url)
        await asyncio.sleep(0.3)  # any dead letter still on its way
        letters = await count_rows(pool, ROBOT_LETTERS)

    assert stored == 1
    assert counted == BURST
    assert letters == 1


async def test_filtered_event_types_keep_other_events_away(
    event_server: EventServer, pool: Pool, plant: Plant
) -> None:
    line = _filler_line(plant, event_server.url, types=(event_server.alarm_type.to_string(),))
    async with _collect(pool, line, event_server.url) as collecting:
        await event_server.fire(event_server.robot, "Robot7", 200)
        await event_server.fire(event_server.filler, FILLER, 3)
        stored = await wait_for_rows(pool, "SELECT count(*) FROM plc_events", 3)
        await asyncio.sleep(0.5)
        counted = collecting.unmapped_count(event_server.url)
        letters = await count_rows(pool, "SELECT count(*) FROM dead_letters")

    assert stored == 3
    assert (counted, letters) == (0.0, 0)
