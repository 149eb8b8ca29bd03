"""One connected session's work: subscribe and poll the mapped nodes, and keep them alive.

A session lives as long as its connection. It subscribes every mapped node (or
polls it), turns each publish into readings and PLC events, and every watch
tick checks that the connection still stands, that the subscription still
publishes (or keeps alive), and re-subscribes what went wrong: the whole
subscription after a Bad status change or silence (expired on the server), a
single node after it stayed Bad for ``retry_s`` or could not be found.
A server that refuses to monitor some nodes (at its limit, or without the
service) has those polled instead; one that refuses a subscription, all of them.
Anything the session cannot handle is raised, and the subscriber reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from collector.opcua_deadband import percent_deadbands_without_range
from collector.opcua_event_writer import PlcEventWriter
from collector.opcua_events import (
    RefusedEvent,
    event_filter,
    event_subtypes,
    event_type_id,
    plc_event_of,
)
from collector.opcua_flow import InFlightLimit
from collector.opcua_mapping import EndpointPlan, MappedSignal
from collector.opcua_monitoring import (
    NOT_SUPPORTED,
    BatchedSubscription,
    chunks,
    create_subscription,
    data_change_request,
    event_request,
    resolve_nodes,
)
from collector.opcua_polling import poll_once
from collector.opcua_values import Rejected, convert_data_changes, quality_of
from collector.payload_parsing import UNBOUNDED, TimeBounds
from collector.source_status import Problem, SourceStatusBoard
from collector.unmapped_event_sources import UnmappedEventSources
from models.opcua_source import CollectMode
from models.plc_events import PlcEvent
from models.readings import DeadLetter, Quality

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionTiming:
    """How often a session looks after itself; tests shorten these."""

    # Silence after which the server sends a keep-alive; three missed ones and the
    # subscription is taken for dead and created anew.
    keepalive_s: float = 5.0
    # How long the server keeps a subscription nobody asks to publish.
    lifetime_s: float = 600.0
    # How long a node may stay Bad, or unknown, before it is subscribed again.
    retry_s: float = 30.0
    watch_interval_s: float = 0.5


@dataclass(frozen=True, slots=True)
class SessionOutputs:
    """Where a session's results go; they outlive the session."""

    readings: InFlightLimit
    events: PlcEventWriter | None
    dead_letter: Callable[[DeadLetter], None]
    # Values and PLC events timed outside these around their arrival become dead letters.
    sample_bounds: TimeBounds = UNBOUNDED
    # (origin, reason) of nodes already reported missing: once per process, not
    # once per reconnect or retry.
    reported: set[tuple[str, str]] = field(default_factory=set)
    # Counts misconfigurations for the metrics.
    status: SourceStatusBoard = field(default_factory=SourceStatusBoard)
    unmapped_events: UnmappedEventSources = field(default_factory=UnmappedEventSources)


class OpcUaSession:
    def __init__(
        self, client: Client, plan: EndpointPlan, outputs: SessionOutputs, timing: SessionTiming
    ) -> None:
        self._client = client
        self._plan = plan
        # Events nobody stores are not asked for.
        self._events = plan.events if outputs.events is not None else None
        self._outputs = outputs
        self._timing = timing
        self._handles = itertools.count(1)
        self._subscription: BatchedSubscription | None = None
        # Client handle -> signal: the hot path's only lookup.
        self._signals: dict[int, MappedSignal] = {}
        # Client handle -> the server's monitored item id.
        self._monitored: dict[int, int] = {}
        self._subscribed: dict[MappedSignal, ua.NodeId] = {}
        self._polled: dict[MappedSignal, ua.NodeId] = {}
        # Signals without a node yet (not found, or refused), with the reason.
        self._pending: dict[MappedSignal, str] = {}
        self._bad_since: dict[int, float] = {}
        self._event_handle: int | None = None
        self._event_types: dict[ua.NodeId, str] = {}
        # The configured event types with their subtypes; None: every type.
        self._wanted_types: frozenset[ua.NodeId] | None = None
        self._resubscribe = asyncio.Event()
        # False once the server refused to create a subscription: everything is polled.
        self._can_subscribe = True

    async def run(self, connected: asyncio.Event) -> None:
        """Collect until the connection fails (raises) or the task is cancelled."""
        await self._place(self._plan.signals)
        if self._subscribed or self._events is not None:
            await self._subscribe()
        connected.set()
        poller = asyncio.create_task(self._poll_forever())
        try:
            await self._watch(poller)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller

    async def _place(self, signals: Sequence[MappedSignal]) -> None:
        """Find the nodes of ``signals`` and sort them into subscribed and polled."""
        resolved = await resolve_nodes(self._client, signals)
        for signal, reason in resolved.failed.items():
            self._unmapped(signal, reason)
        for signal, node_id in resolved.node_ids.items():
            subscribe = self._can_subscribe and signal.mode is CollectMode.SUBSCRIBE
            target = self._subscribed if subscribe else self._polled
            target[signal] = node_id

    async def _subscribe(self) -> None:
        """A new subscription for every subscribed node and the PLC events."""
        try:
            self._subscription = await create_subscription(
                self._client,
                self._on_publish,
                publishing_interval_ms=self._plan.publishing_interval_ms,
                keepalive_s=self._timing.keepalive_s,
                lifetime_s=self._timing.lifetime_s,
            )
        except UaStatusCodeError as error:
            if error.code not in NOT_SUPPORTED:
                raise
            log.warning("%s cannot subscribe (%s); polling instead", self._plan.endpoint, error)
            self._can_subscribe = False
            self._polled.update(self._subscribed)
            self._subscribed.clear()
            if self._events is not None:
                # Events cannot be polled: say once that the PLC's alarms go uncollected.
                reason = f"the server refused a subscription ({error}); no PLC events collected"
                self._report_once("events", reason, self._events.notifier)
            return
        if self._events is not None:
            await self._monitor_events()
        await self._monitor(list(self._subscribed.items()))

    async def _monitor_events(self) -> None:
        assert self._subscription is not None and self._events is not None
        handle = next(self._handles)
        notifier = ua.NodeId.from_string(self._events.notifier)
        wanted = await self._event_types_wanted()
        request = event_request(handle, notifier, event_filter(self._events, wanted))
        try:
            (result,) = await self._subscription.create_monitored_items([request])
        except UaStatusCodeError as error:
            result = ua.StatusCode(ua.UInt32(error.code))
        if isinstance(result, ua.StatusCode):
            # Data still flows; the PLC's alarms need a notifier that supports events.
            log.warning("%s refused the event subscription: %s", self._plan.endpoint, result.name)
            return
        self._event_handle = handle

    async def _event_types_wanted(self) -> frozenset[ua.NodeId] | None:
        """The configured event types and their subtypes, as the server knows them."""
        assert self._events is not None
        if not self._events.types:
            return None
        if self._wanted_types is None:
            self._wanted_types = await event_subtypes(self._client, self._events.types)
        return self._wanted_types

    async def _monitor(self, nodes: Sequence[tuple[MappedSignal, ua.NodeId]]) -> None:
        assert self._subscription is not None
        unscaled = await percent_deadbands_without_range(self._client, nodes)
        for signal, reason in unscaled.items():
            self._report_once(f"{signal.machine_id}.{signal.signal}", reason, signal.address)
        for chunk in chunks(nodes):
            handles = [next(self._handles) for _ in chunk]
            # Registered before the request: the first values may beat its response.
            self._signals.update(zip(handles, (signal for signal, _ in chunk), strict=True))
            results = await self._create_items(handles, chunk, unscaled)
            self._keep_or_poll(zip(handles, chunk, results, strict=True))

    async def _create_items(
        self,
        handles: Sequence[int],
        nodes: Sequence[tuple[MappedSignal, ua.NodeId]],
        unscaled: Collection[MappedSignal],
    ) -> list[int | ua.StatusCode]:
        """One monitored item per node: its server id, or the status it was refused with.
        Signals in ``unscaled`` go without the percent deadband their node cannot take."""
        assert self._subscription is not None
        requests = [
            data_change_request(
                handle, node_id, signal, deadband=None if signal in unscaled else signal.deadband
            )
            for handle, (signal, node_id) in zip(handles, nodes, strict=True)
        ]
        try:
            return await self._subscription.create_monitored_items(requests)
        except UaStatusCodeError as error:
            if error.code not in NOT_SUPPORTED:
                raise
            # The whole request refused (a PLC at its limit of monitored items): every
            # node of it is polled, as a node refused on its own would be.
            return [ua.StatusCode(ua.UInt32(error.code))] * len(nodes)

    def _keep_or_poll(
        self, outcomes: Iterable[tuple[int, tuple[MappedSignal, ua.NodeId], int | ua.StatusCode]]
    ) -> None:
        """Keep the monitored items the server created; poll or retry the others."""
        refused: list[str] = []
        for handle, (signal, node_id), result in outcomes:
            if isinstance(result, int):
                self._monitored[handle] = result
                continue
            del self._signals[handle]
            del self._subscribed[signal]
            if result.value in NOT_SUPPORTED:
                self._polled[signal] = node_id
                refused.append(f"{signal.address} ({result.name})")
            else:
                self._unmapped(signal, f"subscribing {signal.address}: {result.name}")
        if refused:
            log.warning(
                "%s refused to monitor %d nodes; polling them instead: %s",
                self._plan.endpoint,
                len(refused),
                ", ".join(refused[:5]),
            )

    async def _on_publish(self, message: ua.NotificationMessage) -> None:
        received_at = datetime.now(UTC)
        for data in message.NotificationData:
            if isinstance(data, ua.DataChangeNotification):
                await self._on_data_changes(data.MonitoredItems, received_at)
            elif isinstance(data, ua.EventNotificationList):
                await self._on_events(data.Events, received_at)
            elif isinstance(data, ua.StatusChangeNotification) and data.Status.is_bad():
                log.warning("%s: subscription status %s", self._plan.endpoint, data.Status.name)
                self._resubscribe.set()

    async def _on_data_changes(
        self, items: Sequence[ua.MonitoredItemNotification], received_at: datetime
    ) -> None:
        converted = convert_data_changes(
            items, self._signals, received_at, self._outputs.sample_bounds
        )
        if converted.bad_handles or self._bad_since:
            self._track_bad_items(items)
        self._reject(converted.rejected)
        if converted.readings:
            await self._outputs.readings.deliver(converted.readings)

    def _track_bad_items(self, items: Iterable[ua.MonitoredItemNotification]) -> None:
        now = time.monotonic()
        for item in items:
            status = item.Value.StatusCode if item.Value is not None else None
            if quality_of(status) is Quality.BAD:
                self._bad_since.setdefault(item.ClientHandle, now)
            else:
                self._bad_since.pop(item.ClientHandle, None)

    async def _on_events(self, events: Sequence[ua.EventFieldList], received_at: datetime) -> None:
        plan = self._events
        writer = self._outputs.events
        if plan is None or writer is None:
            return
        records: list[PlcEvent] = []
        for event in events:
            if event.ClientHandle != self._event_handle:
                continue
            type_id = event_type_id(event.EventFields)
            if self._wanted_types is not None and type_id not in self._wanted_types:
                continue  # a server that ignores the where clause
            await self._learn_event_type(type_id)
            record = plc_event_of(
                event.EventFields,
                plan,
                self._event_types,
                received_at,
                self._outputs.sample_bounds,
            )
            if isinstance(record, RefusedEvent) and record.unmapped_source is not None:
                self._unmapped_event(record, record.unmapped_source, received_at)
            elif isinstance(record, RefusedEvent):
                self._dead_letter("events", record.reason, repr(dict(record.raw)), received_at)
            else:
                records.append(record)
        if records:
            writer.put(records)
            await writer.wait_for_room()

    def _unmapped_event(self, event: RefusedEvent, source: str, received_at: datetime) -> None:
        """Counted every time; logged once, and dead-lettered once per source and hour."""
        subject = f"{self._plan.endpoint} {source}"
        total = self._outputs.status.count(Problem.UNMAPPED_EVENT_SOURCE, subject)
        due = self._outputs.unmapped_events.note(subject, received_at)
        if due is None:
            return
        since = "the collector started" if due.since is None else due.since.isoformat()
        if total == 1:
            log.warning(
                "%s: %s; map it under the line's source.events.sources, limit"
                " source.events.types, or set source.events.enabled: false",
                self._plan.endpoint,
                event.reason,
            )
        reason = (
            f"{event.reason}: {due.count} event(s) since {since}; one dead letter per source"
            " and hour (map the source in events.sources, or filter events.types)"
        )
        self._dead_letter("events", reason, repr(dict(event.raw)), received_at)

    async def _learn_event_type(self, type_id: ua.NodeId | None) -> None:
        if type_id is None or type_id in self._event_types:
            return
        try:
            name = (await self._client.get_node(type_id).read_browse_name()).Name
        except (UaError, OSError, TimeoutError) as error:
            log.info("event type %s has no readable name: %s", type_id.to_string(), error)
            name = None
        self._event_types[type_id] = name or type_id.to_string()

    async def _poll_forever(self) -> None:
        interval_s = self._plan.poll_interval_ms / 1000
        while True:
            started = time.monotonic()
            if self._polled:
                polled = await poll_once(
                    self._client,
                    dict(self._polled),
                    datetime.now(UTC),
                    self._outputs.sample_bounds,
                )
                for signal, reason in polled.unknown.items():
                    del self._polled[signal]
                    self._unmapped(signal, reason)
                self._reject(polled.rejected)
                if polled.readings:
                    await self._outputs.readings.deliver(polled.readings)
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))

    async def _watch(self, poller: asyncio.Task[None]) -> None:
        last_retry = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._resubscribe.wait(), self._timing.watch_interval_s)
            if self._client.uaclient.state is not UaClientState.CONNECTED:
                raise ConnectionError(f"connection to {self._plan.endpoint} lost")
            if poller.done():
                poller.result()
            if self._resubscribe.is_set() or self._silent():
                await self._resubscribe_all()
            if time.monotonic() - last_retry >= self._timing.retry_s:
                last_retry = time.monotonic()
                await self._retry_items()

    def _silent(self) -> bool:
        subscription = self._subscription
        if subscription is None or subscription.last_publish_at is None:
            return False
        if self._outputs.readings.waiting:
            return False
        silence = time.monotonic() - subscription.last_publish_at
        return silence > 3 * max(subscription.keepalive_s, self._timing.watch_interval_s)

    async def _resubscribe_all(self) -> None:
        log.warning("%s: subscription lost; subscribing again", self._plan.endpoint)
        self._resubscribe.clear()
        old, self._subscription = self._subscription, None
        if old is not None:
            with contextlib.suppress(UaError, OSError, TimeoutError, ConnectionError):
                await old.delete()
        self._signals.clear()
        self._monitored.clear()
        self._bad_since.clear()
        self._event_handle = None
        await self._subscribe()

    async def _retry_items(self) -> None:
        """Subscribe again what stayed Bad, and look again for nodes not found."""
        now = time.monotonic()
        stale = [h for h, since in self._bad_since.items() if now - since >= self._timing.retry_s]
        retry = [self._signals[h] for h in stale if h in self._signals]
        if stale and self._subscription is not None:
            server_handles = [self._monitored.pop(h) for h in stale if h in self._monitored]
            with contextlib.suppress(UaError):
                await self._subscription.unsubscribe(server_handles)
        for handle in stale:
            self._bad_since.pop(handle, None)
            signal = self._signals.pop(handle, None)
            if signal is not None:
                self._subscribed.pop(signal, None)
        retry.extend(self._pending)
        self._pending.clear()
        if not retry:
            return
        known = set(self._subscribed)
        await self._place(retry)
        found = [(s, n) for s, n in self._subscribed.items() if s not in known]
        if not found:
            return
        if self._subscription is None:
            await self._subscribe()
        else:
            await self._monitor(found)

    def _unmapped(self, signal: MappedSignal, reason: str) -> None:
        """A node not found: retried later, reported once."""
        self._pending[signal] = reason
        self._report_once(f"{signal.machine_id}.{signal.signal}", reason, signal.address)

    def _report_once(self, origin: str, reason: str, raw: str) -> None:
        """A dead letter for a problem of the mapping: once per process, not per reconnect."""
        if (origin, reason) not in self._outputs.reported:
            self._outputs.reported.add((origin, reason))
            self._dead_letter(origin, reason, raw, datetime.now(UTC))

    def _reject(self, rejected: Sequence[Rejected]) -> None:
        now = datetime.now(UTC)
        for item in rejected:
            self._dead_letter(
                f"{item.signal.machine_id}.{item.signal.signal}", item.reason, item.raw, now
            )

    def _dead_letter(self, what: str, reason: str, raw: str, at: datetime) -> None:
        self._outputs.dead_letter(
            DeadLetter(
                received_at=at,
                source="opcua",
                origin=f"{self._plan.endpoint} {what}",
                payload=raw.encode(),
                reason=reason,
            )
        )
