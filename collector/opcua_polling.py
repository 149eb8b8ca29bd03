"""Polled reads, for servers or nodes that cannot be subscribed to.

Each cycle reads every polled node in a few batched Read requests. An unchanged
value comes back with its old source timestamp and is absorbed by the
telemetry key, so polling faster than the value changes stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        values = await read_values(client, [nodes[signal] for signal in chunk])
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


async def read_values(client: Client, node_ids: Sequence[ua.NodeId]) -> list[ua.DataValue]:
    """The Value attribute of each node, with source and server times, in one Read."""
    if not node_ids:
        # An empty Read is an error (BadNothingToDo) on strict servers.
        return []
    parameters = ua.ReadParameters(
        NodesToRead=[
            ua.ReadValueId(NodeId=node_id, AttributeId=AttributeIds.Value) for node_id in node_ids
        ],
        TimestampsToReturn=ua.TimestampsToReturn.Both,
    )
    values: list[ua.DataValue] = await client.uaclient.read(parameters)
    return values
