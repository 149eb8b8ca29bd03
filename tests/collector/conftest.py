"""Fixtures for the MQTT collector tests: running collectors, a TLS broker with
passwords, publishing, and waiting for rows. Real Mosquitto and TimescaleDB only."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from collector.mqtt_connection import MqttConnection, create_client, tls_context
from collector.mqtt_subscriber import MqttSubscriber
from collector.mqtt_topic_map import mqtt_routes
from collector.telemetry_sink import TelemetrySink
from models.plant import Plant
from services.free_ports import free_port, port_is_open
from storage.asset_registry import sync_assets
from storage.connections import Pool

LINE_3 = "line-3"


def plant_with_line_3_source(plant: Plant, source: dict[str, Any]) -> Plant:
    """The shipped plant with line 3 published another way."""
    raw = plant.model_dump(mode="json")
    for customer in raw["customers"]:
        for site in customer["sites"]:
            for line in site["lines"]:
                if line["id"] == LINE_3:
                    line["source"] = source
    return Plant.model_validate(raw)


@dataclass
class RunningCollector:
    """One MQTT subscriber and its sink, running as one task."""

    subscriber: MqttSubscriber
    sink: TelemetrySink
    task: asyncio.Task[None]

    async def stop(self) -> None:
        if self.task.done():
            return
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def _run(sink: TelemetrySink, subscriber: MqttSubscriber) -> None:
    async with asyncio.TaskGroup() as group:
        group.create_task(sink.run())
        group.create_task(subscriber.run())


StartCollector = Callable[..., Awaitable[RunningCollector]]


@pytest.fixture
async def pool(db_pool: Pool, plant: Plant) -> Pool:
    """The test's database with the plant's lines and machines registered."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    return db_pool


@pytest.fixture
async def start_collector(db_pool: Pool, plant: Plant) -> AsyncIterator[StartCollector]:
    """``await start_collector(plant, connection, **subscriber_options)``: subscribed on return.

    Pass ``pool=`` for another database, ``wait=False`` not to wait for the subscription.
    Every collector started is stopped at the end of the test.
    """
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    started: list[RunningCollector] = []

    async def start(
        collector_plant: Plant,
        connection: MqttConnection,
        *,
        pool: Pool = db_pool,
        wait: bool = True,
        write_timeout_s: float = 30.0,
        **options: Any,
    ) -> RunningCollector:
        sink = TelemetrySink(
            pool,
            batch_size=500,
            flush_interval_s=0.05,
            max_retry_delay_s=0.2,
            write_timeout_s=write_timeout_s,
        )
        subscriber = MqttSubscriber(mqtt_routes(collector_plant), sink, connection, **options)
        collector = RunningCollector(subscriber, sink, asyncio.create_task(_run(sink, subscriber)))
        started.append(collector)
        if wait:
            await asyncio.wait_for(subscriber.subscribed.wait(), 10)
        return collector

    yield start
    for collector in started:
        await collector.stop()
    # The session broker outlives the test: drop the sessions it keeps for us.
    connected = {c.subscriber.connection for c in started if c.subscriber.counters.connects}
    for connection in connected:
        if connection.persistent_session:
            await asyncio.to_thread(forget_session, connection)


def forget_session(connection: MqttConnection) -> None:
    """Connect once with a clean session, so the broker stops queueing for this client id."""
    clean = replace(connection, persistent_session=False)
    client = create_client(clean, manual_ack=False)
    if clean.is_mqtt5:
        client.connect(clean.host, clean.port, clean_start=True)
    else:
        client.connect(clean.host, clean.port)
    client.loop(timeout=1.0)  # reads the CONNACK
    client.disconnect()


def publish_messages(
    port: int,
    messages: Sequence[tuple[str, bytes]],
    *,
    qos: int = 1,
    connection: MqttConnection | None = None,
) -> None:
    """Publish and wait until the broker has every message (blocking: run in a thread)."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.max_queued_messages_set(0)
    if connection is not None:
        if connection.username is not None:
            client.username_pw_set(connection.username, connection.password)
        if connection.tls:
            client.tls_set_context(tls_context(connection))
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


async def count_rows(pool: Pool, query: str) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode())
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def wait_for_rows(pool: Pool, query: str, expected: int, timeout_s: float = 10.0) -> int:
    """Poll ``query`` (a count) until it reaches ``expected`` or the time is up."""
    deadline = time.monotonic() + timeout_s
    count = await count_rows(pool, query)
    while count < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        count = await count_rows(pool, query)
    return count


# -- A broker that wants TLS and a password -------------------------------------------


@dataclass(frozen=True)
class SecureBroker:
    port: int
    ca_file: Path
    username: str
    password: str
    state_dir: Path = field(repr=False)

    def connection(self, **changes: Any) -> MqttConnection:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "tls": True,
            "ca_file": self.ca_file,
            "username": self.username,
            "password": self.password,
            "client_id": "tls-collector",
        }
        options.update(changes)
        return MqttConnection(**options)


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None, signer: Any, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


def _write_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA, and a server certificate for 127.0.0.1 signed by it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("LineCare test CA", ca_key, None, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _certificate("127.0.0.1", server_key, ca_cert.subject, ca_key, ca=False)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def start_mosquitto(state_dir: Path, listener_lines: Sequence[str]) -> int:
    """Run Mosquitto with these listener settings; returns its pid once it listens."""
    port = free_port()
    conf = state_dir / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        *listener_lines,
        f"pid_file {state_dir / 'mosquitto.pid'}",
        f"log_dest file {state_dir / 'mosquitto.log'}",
        "persistence false",
        "max_queued_messages 100000",
    ]
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    subprocess.run([binary, "-d", "-c", str(conf)], check=True)
    deadline = time.monotonic() + 10
    while not port_is_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"mosquitto did not listen on {port}: see {state_dir}")
        time.sleep(0.05)
    return port


def stop_mosquitto(state_dir: Path) -> None:
    pid_file = state_dir / "mosquitto.pid"
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


@pytest.fixture(scope="session")
def secure_broker() -> Iterator[SecureBroker]:
    """Mosquitto on a free port that speaks only TLS and wants a username and password."""
    state_dir = Path(tempfile.mkdtemp(prefix="linecare-mqtt-tls-"))
    state_dir.chmod(0o755)
    ca_file, cert_file, key_file = _write_pki(state_dir)
    password_file = state_dir / "passwd"
    username, password = "collector", "s3cret-for-tests"
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(password_file), username, password], check=True
    )
    port = start_mosquitto(
        state_dir,
        [
            f"cafile {ca_file}",
            f"certfile {cert_file}",
            f"keyfile {key_file}",
            "allow_anonymous false",
            f"password_file {password_file}",
        ],
    )
    try:
        yield SecureBroker(port, ca_file, username, password, state_dir)
    finally:
        stop_mosquitto(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
