"""Percent deadbands as OPC UA allows them: only on nodes with an engineering range.

A percent deadband is a share of the node's EURange (the range property of an
AnalogItem), so by the specification a server applies it only to nodes that
have one. Servers that implement it refuse the filter on other nodes; servers
that do not (asyncua among them) accept it and filter nothing. Either way the
plant file would promise a thinning-out that does not happen, so the collector
reads each node's EURange before it asks: with a usable range the server gets
the percent deadband, without one the node is subscribed without a deadband and
the reason is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.uaerrors import UaStatusCodeError

from collector.opcua_mapping import MappedSignal
from collector.opcua_monitoring import chunks
from collector.opcua_polling import read_values
from models.opcua_source import DeadbandKind

# "." follows Aggregates and its subtypes, HasProperty among them.
_EU_RANGE = ua.RelativePath.from_string(".0:EURange")


def eu_range_problem(eu_range: object) -> str | None:
    """Why ``eu_range`` (the value of an EURange property) cannot scale a percent
    deadband, or None when it can."""
    if not isinstance(eu_range, ua.Range):
        return "its EURange holds no range"
    low, high = eu_range.Low, eu_range.High
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return f"its EURange [{low}, {high}] is empty"
    return None


def wants_percent_deadband(signal: MappedSignal) -> bool:
    return signal.deadband is not None and signal.deadband.kind is DeadbandKind.PERCENT


async def percent_deadbands_without_range(
    client: Client, nodes: Sequence[tuple[MappedSignal, ua.NodeId]]
) -> dict[MappedSignal, str]:
    """The signals of ``nodes`` asking for a percent deadband their node cannot
    scale, with the reason; signals without a percent deadband are not looked at."""
    asked = [(signal, node_id) for signal, node_id in nodes if wants_percent_deadband(signal)]
    problems: dict[MappedSignal, str] = {}
    for chunk in chunks(asked):
        for (signal, _), problem in zip(chunk, await _range_problems(client, chunk), strict=True):
            if problem is not None:
                problems[signal] = (
                    f"percent deadband on {signal.address} needs an EURange, but {problem};"
                    " collected without a deadband"
                )
    return problems


async def _range_problems(
    client: Client, nodes: Sequence[tuple[MappedSignal, ua.NodeId]]
) -> list[str | None]:
    """Per node, why its EURange cannot scale a percent deadband (None: it can)."""
    try:
        properties = await _eu_range_nodes(client, [node_id for _, node_id in nodes])
        values = iter(await read_values(client, [p for p in properties if p is not None]))
    except UaStatusCodeError as error:
        return [f"its EURange cannot be read ({error})"] * len(nodes)
    return [
        "the node has no EURange property (it is no AnalogItem)"
        if eu_range is None
        else _value_problem(next(values))
        for eu_range in properties
    ]


async def _eu_range_nodes(client: Client, node_ids: Sequence[ua.NodeId]) -> list[ua.NodeId | None]:
    """The EURange property of each node, or None where it has none."""
    paths = [ua.BrowsePath(StartingNode=node_id, RelativePath=_EU_RANGE) for node_id in node_ids]
    results = await client.uaclient.translate_browsepaths_to_nodeids(paths)
    return [
        _local(result.Targets[0].TargetId)
        if result.StatusCode.is_good() and result.Targets
        else None
        for result in results
    ]


def _value_problem(value: ua.DataValue) -> str | None:
    status = value.StatusCode
    if status is not None and not status.is_good():
        return f"its EURange cannot be read ({status.name})"
    return eu_range_problem(value.Value.Value if value.Value is not None else None)


def _local(target: ua.ExpandedNodeId) -> ua.NodeId:
    # A property lives on the same server: the expanded id's server part is unused.
    return ua.NodeId(target.Identifier, target.NamespaceIndex, target.NodeIdType)
