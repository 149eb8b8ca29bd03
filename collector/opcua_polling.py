"""Polled reads, for servers or nodes that cannot be subscribed to.

Each cycle reads every polled node in a few batched Read requests. An unchanged
value comes back with its old source timestamp and is absorbed by the
telemetry key, so polling faster than the value changes stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.attribute_ids import AttributeIds

from collector.opcua_mapping import MappedSignal
from collector.opcua_monitoring import UNKNOWN_NODE, chunks
from collector.opcua_values import Rejected, reading_of
from collector.payload_parsing import UNBOUNDED, TimeBounds
from models.readings import Reading


@dataclass(slots=True)
class PolledValues:
    readings: list[Reading] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # Signals whose node the server does not know (any more), with the status.
    unknown: dict[MappedSignal, str] = field(default_factory=dict)


async def poll_once(
    client: Client,
    nodes: Mapping[MappedSignal, ua.NodeId],
    received_at: datetime,
    bounds: TimeBounds = UNBOUNDED,
) -> PolledValues:
    """Read the current value of every node in ``nodes``."""
    polled = PolledValues()
    signals = list(nodes)
    for chunk in chunks(signals):
        parameters = ua.ReadParameters(
            NodesToRead=[
                ua.ReadValueId(NodeId=nodes[signal], AttributeId=AttributeIds.Value)
                for signal in chunk
            ],
            TimestampsToReturn=ua.TimestampsToReturn.Both,
        )
        values = await client.uaclient.read(parameters)
        for signal, value in zip(chunk, values, strict=True):
            if value.StatusCode is not None and value.StatusCode.value in UNKNOWN_NODE:
                polled.unknown[signal] = f"reading {signal.address}: {value.StatusCode.name}"
                continue
            result = reading_of(signal, value, received_at, bounds)
            if isinstance(result, Reading):
                polled.readings.append(result)
            else:
                polled.rejected.append(result)
    return polled
