"""Finding mapped nodes on a server, and the subscription that watches them.

``BatchedSubscription`` hands every publish response, whole, to one coroutine.
asyncua's handler API calls back once per value, each in a task of its own; at
ten thousand values a second that costs more than the values. And because
asyncua's publish loop awaits this coroutine before it sends the next Publish
request, the coroutine can hold the subscription back while the database is slow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_session import UaSession
from asyncua.common.subscription import Subscription
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError

from collector.opcua_mapping import MappedSignal
from models.opcua_source import Deadband, DeadbandKind

PublishHandler = Callable[[ua.NotificationMessage], Awaitable[None]]

# Statuses meaning "there is no such node (or value)": the mapping is wrong, or
# the PLC program does not have the node yet.
UNKNOWN_NODE = frozenset(
    {
        StatusCodes.BadNodeIdUnknown,
        StatusCodes.BadNodeIdInvalid,
        StatusCodes.BadAttributeIdInvalid,
        StatusCodes.BadNotReadable,
        StatusCodes.BadNoMatch,
        StatusCodes.BadBrowseNameInvalid,
    }
)
# Statuses meaning the server cannot monitor a node (this way): such nodes are polled.
NOT_SUPPORTED = frozenset(
    {
        StatusCodes.BadServiceUnsupported,
        StatusCodes.BadFilterNotAllowed,
        StatusCodes.BadMonitoredItemFilterUnsupported,
        StatusCodes.BadMonitoredItemFilterInvalid,
        StatusCodes.BadDeadbandFilterInvalid,
        StatusCodes.BadTooManyMonitoredItems,
        StatusCodes.BadTooManySubscriptions,
    }
)
# Servers limit the items per request; these stay well below common limits.
_CHUNK = 500
_T = TypeVar("_T")
_OBJECTS_FOLDER = ua.NodeId(ua.Int32(ObjectIds.ObjectsFolder))


class BatchedSubscription(Subscription):
    """A subscription whose publish responses go, whole, to one coroutine."""

    def __init__(
        self,
        session: UaSession,
        params: ua.CreateSubscriptionParameters,
        on_publish: PublishHandler,
    ) -> None:
        # No handler: asyncua's per-value dispatch stays unused.
        super().__init__(session, params, queue_maxsize=1)
        self._on_publish = on_publish
        self.keepalive_s = 0.0

    async def publish_callback(self, publish_result: ua.PublishResult) -> None:
        self.last_publish_at = time.monotonic()
        message = publish_result.NotificationMessage
        if message.NotificationData:
            self.last_sequence_number = int(message.SequenceNumber)
            await self._on_publish(message)
            # Time spent waiting for the database is not silence from the server.
            self.last_publish_at = time.monotonic()


async def create_subscription(
    client: Client,
    on_publish: PublishHandler,
    *,
    publishing_interval_ms: float,
    keepalive_s: float,
    lifetime_s: float,
) -> BatchedSubscription:
    """A subscription sending a keep-alive after ``keepalive_s`` of silence and
    expiring on the server after ``lifetime_s`` without Publish requests."""
    keepalive_count = max(1, math.ceil(keepalive_s * 1000 / publishing_interval_ms))
    params = ua.CreateSubscriptionParameters(
        RequestedPublishingInterval=publishing_interval_ms,
        RequestedLifetimeCount=max(
            3 * keepalive_count, math.ceil(lifetime_s * 1000 / publishing_interval_ms)
        ),
        RequestedMaxKeepAliveCount=keepalive_count,
        MaxNotificationsPerPublish=10_000,
        PublishingEnabled=True,
        Priority=0,
    )
    subscription = BatchedSubscription(client.uaclient.session, params, on_publish)
    result = await subscription.init()
    subscription.keepalive_s = (
        result.RevisedPublishingInterval * result.RevisedMaxKeepAliveCount / 1000
    )
    return subscription


def data_change_request(
    handle: int, node_id: ua.NodeId, signal: MappedSignal, *, deadband: Deadband | None
) -> ua.MonitoredItemCreateRequest:
    """Monitor ``signal`` at ``node_id``; ``deadband`` is the signal's, unless the node
    cannot take it (see ``opcua_deadband``)."""
    parameters = ua.MonitoringParameters(
        ClientHandle=handle,
        SamplingInterval=signal.sampling_interval_ms,
        QueueSize=signal.queue_size,
        DiscardOldest=True,
        Filter=_deadband_filter(deadband) if deadband else None,
    )
    return ua.MonitoredItemCreateRequest(
        ItemToMonitor=ua.ReadValueId(NodeId=node_id, AttributeId=AttributeIds.Value),
        MonitoringMode=ua.MonitoringMode.Reporting,
        RequestedParameters=parameters,
    )


def event_request(
    handle: int, notifier: ua.NodeId, event_filter: ua.EventFilter
) -> ua.MonitoredItemCreateRequest:
    parameters = ua.MonitoringParameters(
        ClientHandle=handle,
        SamplingInterval=0,
        QueueSize=1000,
        DiscardOldest=True,
        Filter=event_filter,
    )
    return ua.MonitoredItemCreateRequest(
        ItemToMonitor=ua.ReadValueId(NodeId=notifier, AttributeId=AttributeIds.EventNotifier),
        MonitoringMode=ua.MonitoringMode.Reporting,
        RequestedParameters=parameters,
    )


def _deadband_filter(deadband: Deadband) -> ua.DataChangeFilter:
    kind = (
        ua.DeadbandType.Absolute
        if deadband.kind is DeadbandKind.ABSOLUTE
        else ua.DeadbandType.Percent
    )
    return ua.DataChangeFilter(
        Trigger=ua.DataChangeTrigger.StatusValue, DeadbandType=kind, DeadbandValue=deadband.value
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    node_ids: dict[MappedSignal, ua.NodeId]
    # Signals whose node could not be found, with the reason.
    failed: dict[MappedSignal, str]


async def resolve_nodes(client: Client, signals: Sequence[MappedSignal]) -> Resolved:
    """The NodeId of each signal: parsed, or looked up by browse path on the server."""
    node_ids: dict[MappedSignal, ua.NodeId] = {}
    failed: dict[MappedSignal, str] = {}
    paths: dict[MappedSignal, ua.RelativePath] = {}
    for signal in signals:
        try:
            if signal.by_browse_path:
                paths[signal] = ua.RelativePath.from_string(signal.address)
            else:
                node_ids[signal] = ua.NodeId.from_string(signal.address)
        except (ValueError, UaError) as error:
            failed[signal] = f"{signal.address!r} is neither a NodeId nor a browse path: {error}"
    for chunk in chunks(list(paths)):
        results = await client.translate_browsepaths(_OBJECTS_FOLDER, [paths[s] for s in chunk])
        for signal, result in zip(chunk, results, strict=True):
            if result.StatusCode.is_good() and result.Targets:
                target = result.Targets[0].TargetId
                node_ids[signal] = ua.NodeId(
                    target.Identifier, target.NamespaceIndex, target.NodeIdType
                )
            else:
                failed[signal] = f"browse path {signal.address} not found: {result.StatusCode.name}"
    return Resolved(node_ids, failed)


def chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
