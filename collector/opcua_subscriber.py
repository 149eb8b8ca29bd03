"""OPC UA transport: collects every mapped node of the lines behind one endpoint.

One subscriber per server; it holds no state shared with other subscribers, so
a process runs as many as the plant file has endpoints. It connects with the
endpoint's security settings, runs an ``OpcUaSession`` until the connection
fails, and reconnects with exponential backoff capped at ``max_backoff_s``:
a fresh client each time, with the same security settings and certificates,
and everything subscribed again. Nothing a server sends stops it: failures are
logged, kept in ``last_error``, and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from asyncua.client.client import Client
from asyncua.ua.uaerrors import UaError

from collector.opcua_event_writer import PlcEventWriter
from collector.opcua_flow import InFlightLimit
from collector.opcua_mapping import endpoint_plan
from collector.opcua_security import (
    OpcUaCredentials,
    UntrustedServerError,
    apply_security,
    describe_failure,
    new_client,
)
from collector.opcua_session import OpcUaSession, SessionOutputs, SessionTiming
from collector.payload_parsing import UNBOUNDED, TimeBounds
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import SecurityPolicy
from models.plant import Line
from storage.connections import Pool

log = logging.getLogger(__name__)

_EXPECTED_FAILURES = (OSError, TimeoutError, UaError, ConnectionError, UntrustedServerError)


class OpcUaSubscriber:
    """Keeps one server's nodes collected, across server restarts and network loss."""

    def __init__(
        self,
        endpoint: str,
        lines: Sequence[Line],
        sink: TelemetrySink,
        *,
        credentials: OpcUaCredentials | None = None,
        plc_events: Pool | None = None,
        max_backoff_s: float = 60.0,
        initial_backoff_s: float = 1.0,
        max_in_flight: int = 50_000,
        sample_bounds: TimeBounds = UNBOUNDED,
        timing: SessionTiming | None = None,
    ) -> None:
        """``credentials`` are needed for secured endpoints and user logins; PLC events
        are collected when ``plc_events`` (a pool to store them in) is given.
        ``max_in_flight`` bounds the readings handed to the sink and not yet durable;
        values and PLC events timed outside ``sample_bounds`` around their arrival are
        dead-lettered."""
        self._endpoint = endpoint
        self._plan = endpoint_plan(endpoint, lines)
        self._credentials = credentials
        self._check_credentials(credentials)
        self._events = PlcEventWriter(plc_events) if plc_events is not None else None
        self._outputs = SessionOutputs(
            readings=InFlightLimit(sink, max_in_flight),
            events=self._events,
            dead_letter=sink.put_dead_letter,
            sample_bounds=sample_bounds,
        )
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self._timing = timing or SessionTiming()
        self.connected = asyncio.Event()
        # Why the last connection attempt or session failed; None while connected.
        self.last_error: str | None = None

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def _check_credentials(self, given: OpcUaCredentials | None) -> None:
        security = self._plan.security
        if security.policy is not SecurityPolicy.NONE and given is None:
            raise ValueError(
                f"{self._endpoint} is secured: credentials with a certificate dir needed"
            )
        if security.user_login and (given is None or not given.username or given.password is None):
            raise ValueError(f"{self._endpoint} logs in as a user: a username and password needed")

    async def run(self) -> None:
        """Collect until cancelled."""
        async with asyncio.TaskGroup() as group:
            if self._events is not None:
                group.create_task(self._events.run())
            group.create_task(self._connect_forever())

    async def _connect_forever(self) -> None:
        delay = self._initial_backoff_s
        while True:
            try:
                await self._one_connection()
            except _EXPECTED_FAILURES as error:
                self._failed(describe_failure(error), delay)
            except Exception as error:
                # A server must never stop the collector, not even with a surprise.
                log.exception("OPC UA %s: unexpected failure", self._endpoint)
                self._failed(describe_failure(error), delay)
            if self.connected.is_set():
                # The session ran: the next attempt starts again from the shortest wait.
                delay = self._initial_backoff_s
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff_s)

    def _failed(self, reason: str, delay: float) -> None:
        self.last_error = reason
        next_wait = self._initial_backoff_s if self.connected.is_set() else delay
        log.warning("OPC UA %s: %s; reconnecting in %.1f s", self._endpoint, reason, next_wait)

    async def _one_connection(self) -> None:
        client = new_client(self._endpoint)
        await apply_security(client, self._endpoint, self._plan.security, self._credentials)
        await client.connect()
        try:
            self.last_error = None
            session = OpcUaSession(client, self._plan, self._outputs, self._timing)
            log.info("OPC UA %s: connected, %d signals", self._endpoint, len(self._plan.signals))
            await session.run(self.connected)
        finally:
            await _disconnect(client)


async def _disconnect(client: Client) -> None:
    # Best effort: after a loss there is nobody to say goodbye to.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(5):
            await client.disconnect()
