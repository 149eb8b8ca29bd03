"""Runs the plant simulation on an accelerated clock behind OPC UA servers and MQTT.

This is the simulator's only wiring: it builds the pure model, starts one OPC
UA server per endpoint and one MQTT client, and feeds them a tick every
``tick_s`` wall seconds until it is stopped or cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import AsyncExitStack
from datetime import datetime

from models.plant import Line, Plant
from simulator.mqtt_publisher import MqttTickPublisher, mqtt_signal_topics, mqtt_topics
from simulator.opcua_server import SimulatorOpcUaServer, opcua_lines_by_endpoint, serving_opcua
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import Scenario
from simulator.simulation_clock import SimulationClock
from simulator.sparkplug_publisher import SparkplugTickPublisher, sparkplug_edge_nodes

_log = logging.getLogger(__name__)
DEFAULT_TICK_S = 0.5


def served_endpoints(
    plant: Plant, overrides: dict[str, str] | None = None
) -> dict[str, tuple[Line, ...]]:
    """The URL each OPC UA server listens on, with the lines it serves.

    ``overrides`` maps an endpoint URL of the plant file to the URL to serve it
    on instead (tests use free ports); unknown keys are an error, not a no-op.
    """
    grouped = opcua_lines_by_endpoint(plant)
    overrides = overrides or {}
    unknown = set(overrides) - set(grouped)
    if unknown:
        raise ValueError(f"no OPC UA line of the plant uses endpoint(s) {sorted(unknown)}")
    return {overrides.get(endpoint, endpoint): lines for endpoint, lines in grouped.items()}


async def run_simulation(
    plant: Plant,
    *,
    mqtt_host: str,
    mqtt_port: int,
    speed: float,
    seed: int,
    start: datetime,
    scenario: Scenario | None = None,
    opcua_endpoints: dict[str, str] | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    tick_s: float = DEFAULT_TICK_S,
    initial_counts: dict[str, tuple[int, int]] | None = None,
    story_start: datetime | None = None,
    linger: bool = False,
) -> None:
    """Simulate ``plant`` and serve it over OPC UA and MQTT until stopped or cancelled.

    - ``plant``: the plant file; its OPC UA lines are served (one server per
      endpoint URL), its MQTT lines are published to the broker.
    - ``mqtt_host``, ``mqtt_port``: the broker for MQTT lines (unused without any).
    - ``speed``: simulated seconds per wall second, e.g. 60 = one hour per minute.
    - ``seed``: the same seed, scenario and start give the same plant behaviour.
    - ``start``: tz-aware simulated time of the first tick (cut to the second).
    - ``scenario``: the timeline of faults and events, from ``story_start``;
      ``None`` is ``Scenario()``, the demo story (bearing wear on l1-filler from
      1 h, breakdown at 6 h).
    - ``opcua_endpoints``: plant endpoint URL → URL to serve it on instead,
      e.g. ``{"opc.tcp://127.0.0.1:48400/linecare/": "opc.tcp://127.0.0.1:51234/linecare/"}``.
    - ``stop``: set it to end the run cleanly; cancelling the task works as well.
    - ``ready``: set once every OPC UA server listens and the broker accepted the
      MQTT client, i.e. when collectors can connect.
    - ``tick_s``: wall seconds between ticks; each tick covers ``tick_s * speed``
      simulated seconds.
    - ``initial_counts``: (good, reject) counter values per machine to continue
      from, as a PLC's counters continue across a restart of the simulator.
    - ``story_start``: when an earlier run of this plant started; ``None`` is
      ``start``. The machines then start warm and as worn as if the plant had
      run ever since, instead of starting the story over at ``start``.
    - ``linger``: once ``stop`` is set, keep the servers up with their last
      values until cancelled, so that clients can disconnect before the servers
      go away rather than see them vanish.

    Servers and the MQTT client are shut down on the way out either way.
    """
    # Warming the machines up to a resumed start takes a moment: off the loop.
    simulation = await asyncio.to_thread(
        PlantSimulation,
        plant,
        seed=seed,
        start=start,
        scenario=scenario if scenario is not None else Scenario(),
        initial_counts=initial_counts,
        story_start=story_start,
    )
    first_tick = simulation.advance_to(simulation.start)
    endpoints = served_endpoints(plant, opcua_endpoints)
    topics = mqtt_topics(plant)
    signal_topics = mqtt_signal_topics(plant)
    edge_nodes = sparkplug_edge_nodes(plant)
    async with AsyncExitStack() as stack:
        servers: list[SimulatorOpcUaServer] = []
        for url, lines in endpoints.items():
            servers.append(await stack.enter_async_context(serving_opcua(url, lines, first_tick)))
            _log.info("OPC UA server for %s on %s", ", ".join(line.id for line in lines), url)
        publishers: list[MqttTickPublisher | SparkplugTickPublisher] = []
        if topics or signal_topics:
            publishers.append(
                await stack.enter_async_context(
                    MqttTickPublisher(
                        host=mqtt_host,
                        port=mqtt_port,
                        topics=topics,
                        signal_topics=signal_topics,
                        client_id=f"linecare-simulator-{os.getpid()}",
                    )
                )
            )
            _log.info(
                "publishing %d machines as JSON to MQTT %s:%d",
                len(topics) + len(signal_topics),
                mqtt_host,
                mqtt_port,
            )
        if edge_nodes:
            publishers.append(
                await stack.enter_async_context(
                    SparkplugTickPublisher(
                        edge_nodes,
                        host=mqtt_host,
                        port=mqtt_port,
                        client_prefix=f"linecare-simulator-{os.getpid()}-",
                    )
                )
            )
            _log.info("publishing %d Sparkplug B edge nodes", len(edge_nodes))
        for publisher in publishers:
            publisher.publish(first_tick)

        # The clock starts once everything listens, so no simulated time is lost to start-up.
        clock = SimulationClock.starting_now(simulation.start, speed)
        if ready is not None:
            ready.set()
        async for at in clock.ticks(tick_s, stop):
            tick = simulation.advance_to(at)
            for server in servers:
                await server.publish(tick)
            for publisher in publishers:
                publisher.publish(tick)
        if linger:
            await asyncio.Event().wait()
