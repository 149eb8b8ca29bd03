"""A real asyncua server on a free port, read and subscribed to by a real client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.events import Event
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeNotif

from models.plant import Plant
from models.readings import Reading
from models.states import PackMLState
from services.free_ports import free_port
from simulator.opcua_server import (
    FAULT_EVENT_TYPE,
    NAMESPACE_URI,
    SimulatorOpcUaServer,
    serving_opcua,
)
from simulator.plant_simulation import PlantSimulation, SimulationTick
from simulator.run_simulator import served_endpoints
from simulator.scenarios import QUIET, MicroStops
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"
FILLER_STATE = "ns=2;s=line-1.l1-filler.state"
FILLER_GOOD = "ns=2;s=line-1.l1-filler.good_count"


@dataclass(frozen=True)
class Served:
    url: str
    server: SimulatorOpcUaServer
    simulation: PlantSimulation


class _Changes:
    """Collects data changes with their source timestamps, as a collector would."""

    def __init__(self) -> None:
        self.seen: asyncio.Queue[tuple[float, datetime | None]] = asyncio.Queue()

    def datachange_notification(self, node: Node, val: float, data: DataChangeNotif) -> None:
        self.seen.put_nowait((val, data.monitored_item.Value.SourceTimestamp))


class _Events:
    """Collects events, as a collector of PLC alarms would."""

    def __init__(self) -> None:
        self.seen: asyncio.Queue[Event] = asyncio.Queue()

    def event_notification(self, event: Event) -> None:
        self.seen.put_nowait(event)


@pytest.fixture(scope="module")
async def served(plant: Plant) -> AsyncIterator[Served]:
    """Lines 1 and 2 on one server; starting a server takes seconds, so tests share it."""
    # Frequent short stops, so one ten-minute tick holds several state changes.
    stops = MicroStops(mean_interval=timedelta(minutes=1), shortest=timedelta(seconds=10))
    simulation = PlantSimulation(
        plant, seed=SEED, start=START, scenario=replace(QUIET, micro_stops=stops)
    )
    url = f"opc.tcp://127.0.0.1:{free_port()}/linecare/"
    (lines,) = served_endpoints(plant, {PLANT_ENDPOINT: url}).values()
    async with serving_opcua(url, lines, simulation.advance_to(START)) as server:
        yield Served(url, server, simulation)


async def test_nodes_follow_the_template_in_line_and_machine_folders(served: Served) -> None:
    async with Client(url=served.url) as client:
        assert await client.get_namespace_index(NAMESPACE_URI) == 2
        line = await client.nodes.objects.get_child(["2:line-2"])
        machine = await line.get_child(["2:l2-capper"])
        variables = {
            str((await child.read_browse_name()).Name): child
            for child in await machine.get_children()
        }
        assert set(variables) == {
            "state",
            "fault_code",
            "good_count",
            "reject_count",
            "product",
            "speed",
            "vibration_rms",
            "bearing_temp",
            "motor_current",
        }
        assert variables["speed"].nodeid == ua.NodeId.from_string("ns=2;s=line-2.l2-capper.speed")
        assert await variables["speed"].read_data_type_as_variant_type() == ua.VariantType.Double


async def test_values_carry_their_simulated_timestamps(served: Served) -> None:
    tick = served.simulation.advance_to(served.simulation.now + timedelta(seconds=30))
    await served.server.publish(tick)
    (sample,) = [
        r for r in tick.samples if r.machine_id == "l1-filler" and r.signal == "good_count"
    ]
    (filler,) = [m for m in served.simulation.machines if m.machine_id == "l1-filler"]
    async with Client(url=served.url) as client:
        good = await client.get_node(FILLER_GOOD).read_data_value()
        state = await client.get_node(FILLER_STATE).read_data_value()
    assert good.Value is not None and good.Value.Value == sample.value > 0
    assert good.SourceTimestamp == good.ServerTimestamp == tick.time
    assert state.Value is not None and state.Value.Value == filler.state
    assert state.SourceTimestamp is not None and START <= state.SourceTimestamp <= tick.time


async def test_a_subscriber_sees_every_state_change_at_its_simulated_second(
    served: Served,
) -> None:
    changes = _Changes()
    async with Client(url=served.url) as client:
        subscription = await client.create_subscription(50, changes)
        await subscription.subscribe_data_change(
            client.get_node(FILLER_STATE), queuesize=100, sampling_interval=ua.Double(0.0)
        )
        current, _ = await asyncio.wait_for(changes.seen.get(), 5)
        assert current in set(PackMLState)

        tick = served.simulation.advance_to(served.simulation.now + timedelta(minutes=10))
        expected = [
            (event.value, event.time)
            for event in tick.events
            if event.machine_id == "l1-filler" and event.signal == "state"
        ]
        assert len(expected) >= 4
        await served.server.publish(tick)
        received = [await asyncio.wait_for(changes.seen.get(), 5) for _ in expected]
        assert received == expected
        await subscription.delete()


async def test_a_fault_code_change_raises_one_fault_event(served: Served) -> None:
    events = _Events()
    async with Client(url=served.url) as client:
        fault_type = await client.nodes.base_event_type.get_child([f"2:{FAULT_EVENT_TYPE}"])
        subscription = await client.create_subscription(50, events)
        await subscription.subscribe_events(client.nodes.server, fault_type)
        at = served.simulation.now + timedelta(seconds=1)
        # A fault, the same fault again, then cleared: one event.
        codes = [
            Reading(at + timedelta(seconds=n), "l2-capper", "fault_code", code)
            for n, code in enumerate((103, 103, 0))
        ]
        await served.server.publish(SimulationTick(at, events=tuple(codes), samples=()))
        event = await asyncio.wait_for(events.seen.get(), 5)
        await asyncio.sleep(0.3)
        assert events.seen.empty()
        await subscription.delete()

    fields = {name: v.Value for name, v in event.get_event_props_as_fields_dict().items()}
    assert (fields["FaultCode"], fields["SourceName"]) == (103, "l2-capper")
    assert fields["Severity"] == 700
    assert fields["Time"] == at
    assert fields["Message"].Text == "l2-capper: fault 103"
