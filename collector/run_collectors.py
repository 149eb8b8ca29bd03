"""Runs every collector the plant file calls for, feeding one telemetry sink."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from collector.mqtt_connection import MqttConnection
from collector.mqtt_subscriber import MqttSubscriber, build_mqtt_subscriber
from collector.opcua_security import OpcUaCredentials
from collector.opcua_subscriber import OpcUaSubscriber
from collector.payload_parsing import DEFAULT_BOUNDS, TimeBounds
from collector.source_status import SourceStatusBoard
from collector.sparkplug_birth_store import SparkplugBirthStore
from collector.sparkplug_partition import WHOLE_PLANT, SparkplugPartition
from collector.telemetry_sink import TelemetrySink
from models.plant import Line, Plant
from storage.connections import Pool


@dataclass(frozen=True, slots=True)
class CollectorSet:
    sink: TelemetrySink
    mqtt: MqttSubscriber | None
    opcua: tuple[OpcUaSubscriber, ...] = field(default=())

    async def run(self) -> None:
        """Run the sink and all transports until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.sink.run())
            if self.mqtt is not None:
                group.create_task(self.mqtt.run())
            for subscriber in self.opcua:
                group.create_task(subscriber.run())

    async def wait_connected(self, timeout_s: float = 30.0) -> None:
        """Until every transport has subscribed (tests and the demo wait on this)."""
        events = [s.connected.wait() for s in self.opcua]
        if self.mqtt is not None:
            events.append(self.mqtt.subscribed.wait())
        await asyncio.wait_for(asyncio.gather(*events), timeout_s)


def build_collectors(
    plant: Plant,
    sink: TelemetrySink,
    *,
    mqtt: MqttConnection,
    opcua_credentials: Callable[[str], OpcUaCredentials],
    opcua_endpoints: Mapping[str, str] | None = None,
    sample_bounds: TimeBounds = DEFAULT_BOUNDS,
    plc_events: Pool | None = None,
    opcua_max_backoff_s: float = 60.0,
    sparkplug_partition: SparkplugPartition = WHOLE_PLANT,
    sparkplug_births: SparkplugBirthStore | None = None,
    status: SourceStatusBoard | None = None,
) -> CollectorSet:
    """One OPC UA subscriber per server endpoint, one MQTT subscriber for all MQTT lines.

    ``opcua_credentials`` gives certificates and login for an endpoint as the plant
    file names it; ``opcua_endpoints`` maps such an endpoint to the one to use, for
    servers reached under other names (containers, tests). PLC alarm events are
    stored when ``plc_events`` is given. Of the Sparkplug edge nodes, this process
    hosts ``sparkplug_partition``'s, keeping their births in ``sparkplug_births``.
    Connection failures, source deaths and misconfigurations go to ``status``.
    """
    status = status or SourceStatusBoard()
    overrides = dict(opcua_endpoints or {})
    lines_by_endpoint: dict[str, list[Line]] = defaultdict(list)
    for _, _, line in plant.lines():
        if line.source.protocol == "opcua":
            lines_by_endpoint[line.source.endpoint].append(line)
    opcua = tuple(
        OpcUaSubscriber(
            overrides.get(endpoint, endpoint),
            lines,
            sink,
            credentials=opcua_credentials(endpoint),
            plc_events=plc_events,
            max_backoff_s=opcua_max_backoff_s,
            sample_bounds=sample_bounds,
            status=status,
        )
        for endpoint, lines in lines_by_endpoint.items()
    )
    mqtt_subscriber = build_mqtt_subscriber(
        plant,
        sink,
        mqtt,
        bounds=sample_bounds,
        sparkplug_partition=sparkplug_partition,
        sparkplug_births=sparkplug_births,
        status=status,
    )
    return CollectorSet(sink, mqtt_subscriber, opcua)
