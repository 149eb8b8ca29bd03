"""OPC UA transport: collects every mapped node of the lines behind one endpoint.

One subscriber per server; it holds no state shared with other subscribers, so
a process runs as many as the plant file has endpoints. It connects with the
endpoint's security settings, runs an ``OpcUaSession`` until the connection
fails, and reconnects with exponential backoff capped at ``max_backoff_s``:
a fresh client each time, with the same security settings and certificates,
and everything subscribed again. While the server's port is closed, a TCP probe
every second ends the wait as soon as it opens (``reconnect_wait``). Nothing a
server sends stops it: failures are kept in ``last_error`` and retried.

Each failure is reported to the ``SourceStatusBoard`` with its reason: the
session lost, the server unreachable, the client certificate refused
(``untrusted``, with the one line that says which certificate to trust), or the
connection refused otherwise. A new reason is logged once and marks the
endpoint's machines offline; a retry failing alike is logged at debug level only.
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
from collector.opcua_refusal import certificate_refusal, trust_instruction
from collector.opcua_security import (
    OpcUaCredentials,
    UntrustedServerError,
    apply_security,
    client_certificate_path,
    describe_failure,
    login_refused,
    new_client,
)
from collector.opcua_session import OpcUaSession, SessionOutputs, SessionTiming
from collector.payload_parsing import UNBOUNDED, TimeBounds
from collector.reconnect_wait import PROBE_EVERY_S, Backoff, address_of, wait_to_reconnect
from collector.source_status import SourceStatusBoard
from collector.telemetry_sink import TelemetrySink
from models.machine_status import OfflineReason
from models.opcua_source import SecurityPolicy
from models.plant import Line
from storage.connections import Pool

log = logging.getLogger(__name__)

_EXPECTED_FAILURES = (OSError, TimeoutError, UaError, ConnectionError, UntrustedServerError)
_UNREACHABLE = (OSError, TimeoutError, ConnectionError)


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
        status: SourceStatusBoard | None = None,
        probe_every_s: float = PROBE_EVERY_S,
    ) -> None:
        """``credentials`` are needed for secured endpoints and user logins; PLC events
        are collected when ``plc_events`` (a pool to store them in) is given.
        ``max_in_flight`` bounds the readings handed to the sink and not yet durable;
        values and PLC events timed outside ``sample_bounds`` around their arrival are
        dead-lettered. ``status`` hears of connections and failures."""
        self._endpoint = endpoint
        self._plan = endpoint_plan(endpoint, lines)
        self._machine_ids = sorted({machine.id for line in lines for machine in line.machines})
        self._status = status or SourceStatusBoard()
        self._probe_every_s = probe_every_s
        self._credentials = credentials
        self._check_credentials(credentials)
        self._events = PlcEventWriter(plc_events) if plc_events is not None else None
        self._outputs = SessionOutputs(
            readings=InFlightLimit(sink, max_in_flight),
            events=self._events,
            dead_letter=sink.put_dead_letter,
            sample_bounds=sample_bounds,
            status=self._status,
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
        backoff = Backoff(self._initial_backoff_s, self._max_backoff_s)
        address = address_of(self._endpoint)
        while True:
            try:
                await self._one_connection()
            except Exception as error:
                # A server must never stop the collector, not even with a surprise.
                await self._failed(error)
            if self.connected.is_set():
                # The session ran: the next attempt starts again from the shortest wait.
                backoff.reset()
                self.connected.clear()
            wait_s = backoff.next_wait()
            if await wait_to_reconnect(address, wait_s, probe_every_s=self._probe_every_s):
                log.info("OPC UA %s: the server is listening again", self._endpoint)
                backoff.reset()

    async def _failed(self, error: Exception) -> None:
        reason, detail = await self._explain(error)
        self.last_error = detail
        if not self._status.down(self._endpoint, self._machine_ids, reason, detail):
            log.debug("OPC UA %s: still %s: %s", self._endpoint, reason, detail)
        elif reason is OfflineReason.UNTRUSTED:
            log.warning("OPC UA %s", detail)
        elif isinstance(error, _EXPECTED_FAILURES):
            log.warning("OPC UA %s: %s (%s); reconnecting", self._endpoint, detail, reason)
        else:
            log.error(
                "OPC UA %s: unexpected failure (%s); reconnecting",
                self._endpoint,
                detail,
                exc_info=error,
            )

    async def _explain(self, error: Exception) -> tuple[OfflineReason, str]:
        """Why the connection failed, as a reason code and one line for people."""
        secured = self._plan.security.policy is not SecurityPolicy.NONE
        refusal = certificate_refusal(error, secured=secured)
        if refusal is not None and self._credentials is not None:
            certificate = client_certificate_path(self._credentials.certificate_dir)
            line = await asyncio.to_thread(trust_instruction, self._endpoint, refusal, certificate)
            return OfflineReason.UNTRUSTED, line
        detail = describe_failure(error)
        if self.connected.is_set():
            return OfflineReason.SESSION_LOST, f"session lost: {detail}"
        if login_refused(error) or isinstance(error, UntrustedServerError):
            return OfflineReason.REFUSED, detail
        if isinstance(error, _UNREACHABLE):
            return OfflineReason.UNREACHABLE, f"unreachable: {detail}"
        return OfflineReason.REFUSED, detail

    async def _one_connection(self) -> None:
        client = new_client(self._endpoint)
        await apply_security(client, self._endpoint, self._plan.security, self._credentials)
        await client.connect()
        try:
            self.last_error = None
            session = OpcUaSession(client, self._plan, self._outputs, self._timing)
            if self._status.connected(self._endpoint):
                log.info(
                    "OPC UA %s: connected, %d signals", self._endpoint, len(self._plan.signals)
                )
            await session.run(self.connected)
        finally:
            await _disconnect(client)


async def _disconnect(client: Client) -> None:
    # Best effort: after a loss there is nobody to say goodbye to.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(5):
            await client.disconnect()
