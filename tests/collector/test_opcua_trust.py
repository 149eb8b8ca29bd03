"""Commissioning a secured server that refuses LineCare's certificate until an operator
trusts it: one actionable line per outage, the source and machines marked untrusted, and
data as soon as the certificate is trusted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.collector_metrics import collector_registry
from collector.opcua_commissioning import LoginError, login_for
from collector.opcua_refusal import thumbprint
from collector.opcua_security import (
    OpcUaCredentials,
    client_certificate_path,
    trusted_certificate_path,
)
from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.source_liveness import SourceLiveness
from collector.source_status import SourceStatusBoard
from collector.telemetry_sink import TelemetrySink
from launcher import cli
from models.machine_status import OfflineReason
from models.opcua_source import OpcUaSecurity, OpcUaSource, SecurityMode, SecurityPolicy
from models.plant import Line, Plant
from services.free_ports import free_port
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.machine_status_store import list_machine_status
from tests.collector.conftest import wait_for_rows
from tests.collector.opcua_trusting_server import RefuseAt, TrustingServer, trusting_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILLER = "l1-filler"


def secured_filler_line(plant: Plant, url: str) -> Line:
    """Line 1 reduced to the filler's speed, behind a secured server at ``url``."""
    (line, *_) = (line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource))
    assert isinstance(line.source, OpcUaSource)
    (filler,) = (machine for machine in line.machines if machine.id == FILLER)
    speed = tuple(signal for signal in filler.signals if signal.name == "speed")
    security = OpcUaSecurity(
        policy=SecurityPolicy.BASIC256SHA256, mode=SecurityMode.SIGN_AND_ENCRYPT
    )
    source = line.source.model_copy(
        update={
            "endpoint": url,
            "security": security,
            "publishing_interval_ms": 50,
            "events": line.source.events.model_copy(update={"enabled": False}),
        }
    )
    machine = filler.model_copy(update={"signals": speed})
    return line.model_copy(update={"source": source, "machines": (machine,)})


@pytest.fixture(params=list(RefuseAt), ids=[mode.value for mode in RefuseAt])
async def refusing(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TrustingServer]:
    url = f"opc.tcp://127.0.0.1:{free_port()}/plc/"
    async with trusting_server(url, tmp_path / "server-pki", request.param, monkeypatch) as server:
        yield server


async def _until(condition: object, timeout_s: float = 15.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_refusing_server_gets_one_line_naming_the_certificate_until_trusted(
    refusing: TrustingServer,
    pool: Pool,
    plant: Plant,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client_pki = tmp_path / "client-pki"
    line = secured_filler_line(plant, refusing.url)
    liveness = SourceLiveness([FILLER], offline_after_s=60)
    status = SourceStatusBoard(liveness)
    sink = TelemetrySink(pool, flush_interval_s=0.05, liveness=liveness)
    subscriber = OpcUaSubscriber(
        refusing.url,
        [line],
        sink,
        credentials=OpcUaCredentials(client_pki),
        initial_backoff_s=0.1,
        max_backoff_s=0.3,
        timing=SessionTiming(keepalive_s=1.0, watch_interval_s=0.1),
        status=status,
    )
    registry = collector_registry(sink, liveness, status=status)
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        with caplog.at_level(logging.WARNING, logger="collector"):
            await _until(lambda: subscriber.last_error is not None)
            await asyncio.sleep(1.5)  # several more refused attempts
        refused_error = subscriber.last_error
        await liveness.record(pool)
        async with pool.connection() as conn:
            (machine,) = await list_machine_status(conn, machine_ids=[FILLER], scope=EVERY_CUSTOMER)
        untrusted_metric = registry.get_sample_value(
            "linecare_collector_source_state", {"source": refusing.url, "state": "untrusted"}
        )

        # The operator moves the rejected certificate to trusted; LineCare connects on.
        (rejected,) = refusing.trust_list.trust_rejected()
        await asyncio.wait_for(subscriber.connected.wait(), 10)
        at = datetime.now(UTC).replace(microsecond=0)
        await refusing.write_speed(42.0, at)
        stored = await wait_for_rows(
            pool, f"SELECT count(*) FROM telemetry WHERE machine_id = '{FILLER}'", 1
        )
        connected_metric = registry.get_sample_value(
            "linecare_collector_source_state", {"source": refusing.url, "state": "connected"}
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    certificate = client_certificate_path(client_pki)
    fingerprint = thumbprint(certificate.read_bytes())
    assert refused_error is not None
    assert str(certificate) in refused_error and fingerprint in refused_error
    assert "rejected" in refused_error
    assert rejected == f"{fingerprint}.der"
    # Once per outage, however many attempts were refused.
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "collector.opcua_subscriber" and "refused LineCare's" in r.message
    ]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert (machine.online, machine.reason) == (False, OfflineReason.UNTRUSTED)
    assert machine.detail == refused_error
    assert untrusted_metric == 1
    assert stored >= 1 and connected_metric == 1


@pytest.fixture
def certificate_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The collector's certificate directory, as the environment configures it."""
    directory = tmp_path / "collector-pki"
    monkeypatch.setenv("LINECARE_OPCUA_CERTIFICATE_DIR", str(directory))
    return directory


async def test_the_trust_command_names_the_certificate_and_waits_for_the_operator(
    refusing: TrustingServer, certificate_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = asyncio.create_task(
        asyncio.to_thread(cli.main, ["opcua", "trust", refusing.url, "--wait", "60"])
    )
    await _until(lambda: any(refusing.trust_list.rejected.iterdir()))
    await asyncio.sleep(0.5)
    refusing.trust_list.trust_rejected()
    code = await asyncio.wait_for(command, 30)
    captured = capsys.readouterr()

    certificate = client_certificate_path(certificate_dir)
    refusals = [line for line in captured.err.splitlines() if "refused" in line]
    assert code == 0
    # One line, however many attempts, naming the collector's own certificate.
    assert len(refusals) == 1
    assert str(certificate) in refusals[0] and thumbprint(certificate.read_bytes()) in refusals[0]
    assert "accepts LineCare's client certificate" in captured.out
    assert trusted_certificate_path(certificate_dir, refusing.url).exists()


async def test_browse_points_to_the_trust_command_on_a_refusal(
    refusing: TrustingServer, certificate_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    security = ["--security", "Basic256Sha256,SignAndEncrypt"]
    code = await asyncio.to_thread(cli.main, ["opcua", "browse", refusing.url, *security])
    err = capsys.readouterr().err
    assert code == 3
    assert f"linecare opcua trust {refusing.url}" in err and "Traceback" not in err
    # The certificate presented is the collector's, from the shared directory.
    assert client_certificate_path(certificate_dir).exists()


def test_a_password_comes_from_a_file_the_environment_or_the_configured_login(
    tmp_path: Path,
) -> None:
    configured = OpcUaCredentials(tmp_path, "operator", "from-logins")
    secret = tmp_path / "password"
    secret.write_text("from-file\n")

    def login(**changes: object) -> OpcUaCredentials:
        options: dict[str, Any] = {
            "user": None,
            "password_file": None,
            "password_env": None,
            "ask": None,
        }
        options.update(changes)
        return login_for(configured, **options)

    assert login(password_file=secret).password == "from-file"
    assert login(password_env="from-env").password == "from-env"
    assert login().password == "from-logins"
    assert login(user="other", ask=lambda _: "typed").password == "typed"
    with pytest.raises(LoginError):
        login(user="other")
