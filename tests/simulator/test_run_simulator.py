"""The whole simulator on an accelerated clock: OPC UA and MQTT together, then a clean stop."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

import pytest
from asyncua.client.client import Client

from models.plant import Plant
from services.free_ports import free_port, port_is_open
from services.mosquitto_broker import BrokerSpec
from simulator.run_simulator import run_simulation, served_endpoints
from simulator.scenarios import Scenario
from tests.simulator.mqtt_listener import JsonDocument, MqttListener
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"
SPEED = 600.0


def _simulated(document: JsonDocument) -> datetime:
    """The simulated time of a message: its last sample's."""
    samples = document.get("samples")
    last = samples[-1] if isinstance(samples, list) else document
    assert isinstance(last, dict)
    return datetime.fromisoformat(str(last["ts"]))


async def _until_ready(ready: asyncio.Event, run: asyncio.Task[None]) -> None:
    """Wait for ``ready``; a run that fails on the way raises here instead of timing out."""
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({waiting, run}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if run in done:
        run.result()
        pytest.fail("the simulation ended before it was ready")
    assert ready.is_set(), "the simulation did not get ready in time"


async def test_serves_both_protocols_on_simulated_time_and_stops_cleanly(
    plant: Plant, mqtt_broker: BrokerSpec
) -> None:
    port = free_port()
    url = f"opc.tcp://127.0.0.1:{port}/linecare/"
    stop, ready = asyncio.Event(), asyncio.Event()
    # Other simulations of the session (fixtures) may run their own paho threads.
    paho_before = _paho_threads()
    async with MqttListener(mqtt_broker.port, "linecare/#") as listener:
        run = asyncio.create_task(
            run_simulation(
                plant,
                mqtt_host="127.0.0.1",
                mqtt_port=mqtt_broker.port,
                speed=SPEED,
                seed=SEED,
                start=START,
                opcua_endpoints={PLANT_ENDPOINT: url},
                stop=stop,
                ready=ready,
                tick_s=0.1,
            )
        )
        await _until_ready(ready, run)
        async with Client(url=url) as client:
            node = client.get_node("ns=2;s=line-2.l2-labeller.good_count")
            before = await node.read_data_value()
            await asyncio.sleep(0.5)
            after = await node.read_data_value()
        messages = await listener.collect(9)
        stop.set()
        await asyncio.wait_for(run, 10)

    assert before.SourceTimestamp is not None and after.SourceTimestamp is not None
    simulated = after.SourceTimestamp - before.SourceTimestamp
    # Half a wall second at 600x is five simulated minutes (less on a busy machine).
    assert timedelta(minutes=2) <= simulated <= timedelta(minutes=8)
    assert before.Value is not None and after.Value is not None
    assert after.Value.Value > before.Value.Value
    assert {m.topic.rsplit("/", 1)[1] for m in messages} == {"l3-erector", "l3-packer", "l3-sealer"}
    assert all(START <= _simulated(m.document) < START + timedelta(hours=1) for m in messages)
    assert not port_is_open(port)
    assert not _paho_threads() - paho_before


async def test_cancelling_shuts_the_mqtt_client_down(plant: Plant, mqtt_broker: BrokerSpec) -> None:
    # Line 3 alone: no OPC UA server to start, so this stays quick.
    alpenpack = plant.model_copy(update={"customers": plant.customers[1:]})
    assert served_endpoints(alpenpack) == {}
    ready = asyncio.Event()
    paho_before = _paho_threads()
    run = asyncio.create_task(
        run_simulation(
            alpenpack,
            mqtt_host="127.0.0.1",
            mqtt_port=mqtt_broker.port,
            speed=SPEED,
            seed=SEED,
            start=START,
            # The default scenario's worn bearing is on line 1, which is not here.
            scenario=Scenario(bearing_wear=None),
            ready=ready,
        )
    )
    await _until_ready(ready, run)
    assert _paho_threads() - paho_before
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert not _paho_threads() - paho_before


def _paho_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("paho")}


def test_endpoint_overrides_must_name_endpoints_of_the_plant(plant: Plant) -> None:
    with pytest.raises(ValueError, match="48401"):
        served_endpoints(plant, {"opc.tcp://127.0.0.1:48401/linecare/": "opc.tcp://x:1/"})
