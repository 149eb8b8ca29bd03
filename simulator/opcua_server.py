"""A line controller's OPC UA server, fed by simulation ticks.

One server per endpoint of the plant file serves every OPC UA line configured on
it, in folders Line → Machine → one Double variable per signal. Node ids follow
each line's ``node_template``. Every value is written with the simulated time as
its source and server timestamp, so a subscriber sees each change at the second
it happened in the simulation. When a machine's fault code changes to a fault,
the server raises a ``MachineFaultEventType`` event (fields FaultCode, Message,
Severity; SourceName is the machine id) from the Server object, as PLCs do.

Optionally the server is secured like a real PLC (``ServerSecurity``):
Basic256Sha256 with Sign and SignAndEncrypt, a self-signed server certificate
made on first use, and a username and password instead of anonymous access.
"""

from __future__ import annotations

import hmac
import socket
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from asyncua import ua
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.event_generator import EventGenerator
from asyncua.server.internal_server import InternalServer
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.object_ids import ObjectIds
from cryptography.x509.oid import ExtendedKeyUsageOID

from models.opcua_source import OpcUaSource
from models.plant import Line, Plant
from simulator.plant_simulation import SimulationTick

NAMESPACE_URI = "urn:linecare:simulator"
APPLICATION_URI = "urn:linecare:simulator:server"
FAULT_EVENT_TYPE = "MachineFaultEventType"
_SERVER_NAME = "LineCare plant simulator"
_FAULT_SEVERITY = 700
_SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH


@dataclass(frozen=True, slots=True)
class ServerSecurity:
    """A secured simulator: certificate and key live in ``certificate_dir``."""

    certificate_dir: Path
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Also offer an unsecured endpoint (security mode None) next to Sign and SignAndEncrypt.
    allow_unsecured: bool = False


class _PasswordUsers(UserManager):
    """Accepts exactly one username and password."""

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def get_user(
        self,
        iserver: InternalServer,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username == self._username and hmac.compare_digest(
            (password or "").encode(), self._password.encode()
        ):
            return User(role=UserRole.User, name=username)
        return None


def opcua_lines_by_endpoint(plant: Plant) -> dict[str, tuple[Line, ...]]:
    """The plant's OPC UA lines grouped by the endpoint URL that serves them."""
    grouped: dict[str, list[Line]] = {}
    for _customer, _site, line in plant.lines():
        if isinstance(line.source, OpcUaSource):
            grouped.setdefault(line.source.endpoint, []).append(line)
    return {endpoint: tuple(lines) for endpoint, lines in grouped.items()}


def node_id_of(source: OpcUaSource, line: Line, machine_id: str, signal: str) -> ua.NodeId:
    return ua.NodeId.from_string(
        source.node_template.format(line=line.id, machine=machine_id, signal=signal)
    )


class SimulatorOpcUaServer:
    """Holds the running asyncua server and the node of every served signal."""

    def __init__(
        self,
        server: Server,
        nodes: dict[tuple[str, str], ua.NodeId],
        machine_nodes: dict[str, ua.NodeId],
        faults: EventGenerator,
    ) -> None:
        self._server = server
        self._nodes = nodes
        self._machine_nodes = machine_nodes
        self._faults = faults
        self._fault_codes: dict[str, int] = {}

    @property
    def server(self) -> Server:
        """The asyncua server, for tests that change the address space itself."""
        return self._server

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def publish(self, tick: SimulationTick) -> None:
        """Write the tick's events, then its samples, with their simulated timestamps;
        raise a fault event for every fault code that changed to a fault."""
        for reading in tick.readings():
            await self.write_value(reading.machine_id, reading.signal, reading.value, reading.time)
            if reading.signal == "fault_code":
                await self._fault_changed(reading.machine_id, int(reading.value), reading.time)

    async def write_value(
        self,
        machine_id: str,
        signal: str,
        value: float | None,
        at: datetime,
        status: ua.StatusCode | None = None,
    ) -> None:
        """Write one value of a served signal; a Bad ``status`` carries no value."""
        node_id = self._nodes.get((machine_id, signal))
        if node_id is None:
            return
        # Naive UTC, which asyncua encodes as UTC: the server deep-copies every value
        # for every subscriber, and a naive time copies in half the time.
        when = cast(ua.DateTime, at.astimezone(UTC).replace(tzinfo=None))
        data_value = ua.DataValue(
            Value=ua.Variant(value, ua.VariantType.Double) if value is not None else ua.Variant(),
            StatusCode=status or ua.StatusCode(),
            SourceTimestamp=when,
            ServerTimestamp=when,
        )
        await self._server.write_attribute_value(node_id, data_value)

    async def _fault_changed(self, machine_id: str, code: int, at: datetime) -> None:
        previous = self._fault_codes.get(machine_id, 0)
        self._fault_codes[machine_id] = code
        if code == 0 or code == previous or machine_id not in self._machine_nodes:
            return
        event = self._faults.event
        event.SourceNode = self._machine_nodes[machine_id]
        event.SourceName = machine_id
        event.Severity = _FAULT_SEVERITY
        event.FaultCode = ua.UInt32(code)
        await self._faults.trigger(time_attr=at, message=f"{machine_id}: fault {code}")


async def _build_server(
    endpoint: str, lines: Sequence[Line], security: ServerSecurity | None
) -> SimulatorOpcUaServer:
    server = await _secured_server(endpoint, security)
    namespace = await server.register_namespace(NAMESPACE_URI)
    nodes: dict[tuple[str, str], ua.NodeId] = {}
    machine_nodes: dict[str, ua.NodeId] = {}
    for line in lines:
        if not isinstance(line.source, OpcUaSource):
            raise ValueError(f"line {line.id} does not speak OPC UA")
        line_folder = await server.nodes.objects.add_folder(namespace, line.id)
        for machine in line.machines:
            machine_folder = await line_folder.add_folder(namespace, machine.id)
            machine_nodes[machine.id] = machine_folder.nodeid
            for signal in machine.signals:
                node_id = node_id_of(line.source, line, machine.id, signal.name)
                if node_id.NamespaceIndex != namespace:
                    raise ValueError(
                        f"line {line.id}: node_template must use ns={namespace} ({NAMESPACE_URI})"
                    )
                await machine_folder.add_variable(
                    node_id, ua.QualifiedName(signal.name, namespace), 0.0, ua.VariantType.Double
                )
                nodes[(machine.id, signal.name)] = node_id
    fault_type = await server.create_custom_event_type(
        namespace,
        FAULT_EVENT_TYPE,
        ObjectIds.BaseEventType,
        [("FaultCode", ua.VariantType.UInt32)],
    )
    faults = await server.get_event_generator(fault_type)
    return SimulatorOpcUaServer(server, nodes, machine_nodes, faults)


async def _secured_server(endpoint: str, security: ServerSecurity | None) -> Server:
    users = None
    if security is not None and security.username is not None:
        users = _PasswordUsers(security.username, security.password or "")
    server = Server(user_manager=users)
    await server.init()
    server.set_endpoint(endpoint)
    server.set_server_name(_SERVER_NAME)
    if security is None:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        # Without security, anonymous is the only honest identity to offer.
        server.set_identity_tokens([ua.AnonymousIdentityToken])
        return server
    await server.set_application_uri(APPLICATION_URI)
    key, certificate = (
        security.certificate_dir / "server_key.pem",
        security.certificate_dir / "server.der",
    )
    security.certificate_dir.mkdir(parents=True, exist_ok=True)
    await cert_gen.setup_self_signed_certificate(
        key,
        certificate,
        APPLICATION_URI,
        socket.gethostname(),
        [ExtendedKeyUsageOID.SERVER_AUTH],
        {},
    )
    await server.load_certificate(certificate)
    await server.load_private_key(key)
    policies = [
        ua.SecurityPolicyType.Basic256Sha256_Sign,
        ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ]
    if security.allow_unsecured:
        policies.insert(0, ua.SecurityPolicyType.NoSecurity)
    server.set_security_policy(policies)
    server.set_identity_tokens(
        [ua.UserNameIdentityToken] if users is not None else [ua.AnonymousIdentityToken]
    )
    return server


@asynccontextmanager
async def serving_opcua(
    endpoint: str,
    lines: Iterable[Line],
    first_tick: SimulationTick,
    *,
    security: ServerSecurity | None = None,
) -> AsyncIterator[SimulatorOpcUaServer]:
    """Serve ``lines`` on ``endpoint`` (e.g. ``opc.tcp://127.0.0.1:48400/linecare/``).

    The first tick is written before the server listens, so no client ever reads
    a placeholder. The server stops when the context exits, also on cancellation.
    ``security`` makes it a secured server; without it, it is open to anyone.
    """
    simulator_server = await _build_server(endpoint, tuple(lines), security)
    await simulator_server.publish(first_tick)
    await simulator_server.start()
    try:
        yield simulator_server
    finally:
        await simulator_server.stop()
