"""Secured OPC UA collection: each security mode with a login, refused logins, certificates."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from collector.opcua_security import (
    APPLICATION_URI,
    OpcUaCredentials,
    UntrustedServerError,
    check_server_certificate,
    ensure_client_certificate,
    trusted_certificate_path,
)
from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import (
    OpcUaSecurity,
    OpcUaSource,
    SecurityMode,
    SecurityPolicy,
    ServerTrust,
)
from models.plant import Line, Plant
from services.free_ports import free_port
from simulator.opcua_server import ServerSecurity, SimulatorOpcUaServer, serving_opcua
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET
from storage.connections import Pool
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

USER, PASSWORD = "operator", "s3cret"
FAST = SessionTiming(keepalive_s=1.0, watch_interval_s=0.1)


@dataclass(frozen=True)
class Secured:
    url: str
    server: SimulatorOpcUaServer
    line: Line
    client_pki: Path


@pytest.fixture(scope="module")
async def secured(plant: Plant, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Secured]:
    """Line 1 behind a server that wants a login, offering None, Sign and SignAndEncrypt."""
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    (line, *_) = (line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource))
    url = f"opc.tcp://127.0.0.1:{free_port()}/secured/"
    security = ServerSecurity(
        tmp_path_factory.mktemp("server-pki"), USER, PASSWORD, allow_unsecured=True
    )
    async with serving_opcua(
        url, [line], simulation.advance_to(START), security=security
    ) as server:
        yield Secured(url, server, line, tmp_path_factory.mktemp("client-pki"))


def _secured_line(line: Line, mode: SecurityMode) -> Line:
    assert isinstance(line.source, OpcUaSource)
    policy = SecurityPolicy.NONE if mode is SecurityMode.NONE else SecurityPolicy.BASIC256SHA256
    security = OpcUaSecurity(policy=policy, mode=mode, user_login=True)
    source = line.source.model_copy(update={"security": security, "publishing_interval_ms": 50})
    return line.model_copy(update={"source": source})


@pytest.mark.parametrize(
    ("mode", "minute"),
    [(SecurityMode.NONE, 1), (SecurityMode.SIGN, 2), (SecurityMode.SIGN_AND_ENCRYPT, 3)],
)
async def test_each_security_mode_with_a_login_collects_values(
    secured: Secured, pool: Pool, mode: SecurityMode, minute: int
) -> None:
    at = START + timedelta(minutes=minute)
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    credentials = OpcUaCredentials(secured.client_pki, USER, PASSWORD)
    line = _secured_line(secured.line, mode)
    subscriber = OpcUaSubscriber(secured.url, [line], sink, credentials=credentials, timing=FAST)
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        await asyncio.wait_for(subscriber.connected.wait(), 15)
        await secured.server.write_value("l1-filler", "speed", float(minute), at)
        value = None
        for _ in range(100):
            async with pool.connection() as conn:
                cursor = await conn.execute(
                    "SELECT value FROM telemetry WHERE machine_id = 'l1-filler'"
                    " AND signal = 'speed' AND time = %s",
                    (at,),
                )
                row = await cursor.fetchone()
            if row is not None:
                value = row[0]
                break
            await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert value == float(minute)
    # The server's certificate is trusted from the first connection on.
    assert trusted_certificate_path(secured.client_pki, secured.url).exists()


async def test_a_wrong_password_is_reported_and_retried_without_stopping(
    secured: Secured, pool: Pool
) -> None:
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    credentials = OpcUaCredentials(secured.client_pki, USER, "wrong")
    subscriber = OpcUaSubscriber(
        secured.url,
        [_secured_line(secured.line, SecurityMode.SIGN_AND_ENCRYPT)],
        sink,
        credentials=credentials,
        initial_backoff_s=0.1,
        max_backoff_s=0.2,
        timing=FAST,
    )
    task = asyncio.create_task(subscriber.run())
    try:
        for _ in range(100):
            if subscriber.last_error is not None:
                break
            await asyncio.sleep(0.1)
        first_error = subscriber.last_error
        await asyncio.sleep(0.5)  # a few more attempts
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert first_error is not None
    assert "refused the login (BadUserAccessDenied)" in first_error
    assert not subscriber.connected.is_set()


def test_the_client_certificate_is_made_on_first_use_and_reused(tmp_path: Path) -> None:
    first = ensure_client_certificate(tmp_path)
    certificate, key = first.certificate.read_bytes(), first.private_key.read_bytes()
    again = ensure_client_certificate(tmp_path)

    assert (again.certificate.read_bytes(), again.private_key.read_bytes()) == (certificate, key)
    assert stat.S_IMODE(first.private_key.stat().st_mode) == 0o600
    names = x509.load_der_x509_certificate(certificate).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert APPLICATION_URI in names.value.get_values_for_type(x509.UniformResourceIdentifier)


def test_a_server_certificate_is_trusted_on_first_use_and_then_only_that_one(
    tmp_path: Path,
) -> None:
    endpoint = "opc.tcp://plc-7:4840/"
    check_server_certificate(tmp_path, endpoint, b"certificate A", ServerTrust.FIRST_USE)
    check_server_certificate(tmp_path, endpoint, b"certificate A", ServerTrust.FIRST_USE)

    with pytest.raises(UntrustedServerError, match="delete that file"):
        check_server_certificate(tmp_path, endpoint, b"certificate B", ServerTrust.FIRST_USE)
    with pytest.raises(UntrustedServerError, match="pinned"):
        check_server_certificate(tmp_path, "opc.tcp://plc-8:4840/", b"C", ServerTrust.PINNED)
