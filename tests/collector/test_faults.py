"""At least once, end to end, through real faults: every sequence number stored exactly once.

The collector runs as its own OS process (``linecare collect``) against a
TimescaleDB cluster and a Mosquitto broker that only this module uses, because
the tests stop, kill and restart them. A publisher sends sequence-numbered
samples (one per message, QoS 1) all through the fault; afterwards the
telemetry must hold every number once, no gap and no double.

TimescaleDB is down for two minutes and a bit: past the sink's longest retry
delay (30 s), so the collector is deep in its backoff when the database returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from prometheus_client.parser import text_string_to_metric_families

from bench.throwaway_services import throwaway_broker, throwaway_cluster
from models.plant import Plant
from models.readings import Reading
from services import mosquitto_broker, postgres_cluster
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from services.postgres_cluster import ClusterSpec
from simulator.opcua_server import SimulatorOpcUaServer, serving_opcua
from simulator.plant_simulation import SimulationTick

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LINECARE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "linecare"
MACHINE = "mqtt-m1"
TOPIC = f"faults/mqtt-line/{MACHINE}"
# How long TimescaleDB stays down: minutes, not seconds.
OUTAGE_S = 130
_names = itertools.count()


def fault_plant(line: dict[str, object]) -> dict[str, object]:
    """A plant file with one line of one machine, whose only signal is ``seq``."""
    return {
        "products": [{"code": 1, "name": "part", "ideal_cycle_s": 1.0}],
        "customers": [
            {
                "id": "faults",
                "name": "Fault tests",
                "contact": {"name": "Tester"},
                "contract": {"number": "F-1"},
                "sites": [
                    {
                        "id": "fault-site",
                        "name": "Fault site",
                        "timezone": "UTC",
                        "calendar": {"shifts": [{"name": "day", "start": "06:00", "end": "14:00"}]},
                        "lines": [line],
                    }
                ],
            }
        ],
    }


def fault_line(line_id: str, machine_id: str, source: dict[str, object]) -> dict[str, object]:
    return {
        "id": line_id,
        "name": line_id,
        "model": "F",
        "serial": line_id,
        "acceptance_date": "2026-01-01",
        "source": source,
        "machines": [
            {
                "id": machine_id,
                "name": machine_id,
                "model": "F",
                "serial": machine_id,
                "signals": [{"name": "seq", "kind": "counter"}],
            }
        ],
    }


MQTT_PLANT = fault_plant(
    fault_line(
        "mqtt-line", MACHINE, {"protocol": "mqtt", "topic_template": "faults/{line}/{machine}"}
    )
)


@pytest.fixture(scope="module")
def fault_cluster() -> Iterator[ClusterSpec]:
    with throwaway_cluster() as spec:
        yield spec


@pytest.fixture(scope="module")
def fault_broker() -> Iterator[BrokerSpec]:
    # Persistent: the broker keeps sessions and queued messages across its restart.
    with throwaway_broker(persistent=True) as spec:
        yield spec


class CollectorProcess:
    """``linecare collect`` in a process of its own, with settings from the environment."""

    def __init__(self, workdir: Path, environment: dict[str, str]) -> None:
        self._workdir = workdir
        self._environment = environment
        self.client_id = environment["LINECARE_MQTT_CLIENT_ID"]
        self.metrics_port = int(environment["LINECARE_COLLECTOR_METRICS_PORT"])
        self._process: subprocess.Popen[bytes] | None = None
        self._runs = itertools.count()

    @property
    def log(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self._workdir.glob("collector-*.log")))

    def start(self) -> None:
        log_file = self._workdir / f"collector-{next(self._runs)}.log"
        with log_file.open("wb") as output:
            self._process = subprocess.Popen(
                [str(LINECARE), "collect"],
                env=self._environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self._metrics_answer():
            assert self._process.poll() is None, f"the collector exited:\n{self.log}"
            assert time.monotonic() < deadline, f"the collector did not start:\n{self.log}"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last flush."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(10)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics(self) -> dict[str, float]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        return {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if not sample.labels
        }

    def _metrics_answer(self) -> bool:
        with contextlib.suppress(urllib.error.URLError, ConnectionError):
            self.metrics()
            return True
        return False


def _environment(
    workdir: Path, plant: dict[str, object], database: str, broker: BrokerSpec, client_id: str
) -> dict[str, str]:
    plant_file = workdir / "plant.yaml"
    plant_file.write_text(yaml.safe_dump(plant))
    return {
        **os.environ,
        "LINECARE_PLANT_FILE": str(plant_file),
        "LINECARE_STATE_DIR": str(workdir / "state"),
        "LINECARE_DATABASE_URL": database,
        "LINECARE_MQTT_HOST": "127.0.0.1",
        "LINECARE_MQTT_PORT": str(broker.port),
        "LINECARE_MQTT_CLIENT_ID": client_id,
        "LINECARE_COLLECTOR_METRICS_PORT": str(free_port()),
        # Small batches written often: a kill lands in the middle of one.
        "LINECARE_WRITE_BATCH_SIZE": "50",
        "LINECARE_WRITE_FLUSH_INTERVAL_S": "0.05",
    }


@pytest.fixture
def database(fault_cluster: ClusterSpec) -> Iterator[str]:
    postgres_cluster.start(fault_cluster)  # a failed test may have left it stopped
    name = f"faults_{next(_names)}"
    yield postgres_cluster.dsn(fault_cluster, name)
    postgres_cluster.start(fault_cluster)
    with psycopg.connect(postgres_cluster.dsn(fault_cluster), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CollectorFactory = Callable[[dict[str, object]], CollectorProcess]


@pytest.fixture
def make_collector(
    tmp_path: Path, database: str, fault_broker: BrokerSpec
) -> Iterator[CollectorFactory]:
    """``make_collector(plant)``: a collector of that plant, not started yet."""
    mosquitto_broker.start(fault_broker)  # a failed test may have left it stopped
    made: list[tuple[CollectorProcess, str]] = []

    def make(plant: dict[str, object]) -> CollectorProcess:
        client_id = f"fault-collector-{next(_names)}"
        environment = _environment(tmp_path, plant, database, fault_broker, client_id)
        made.append((CollectorProcess(tmp_path, environment), client_id))
        return made[-1][0]

    yield make
    for process, client_id in made:
        process.stop()
        _end_session(fault_broker.port, client_id)


@pytest.fixture
def collector(make_collector: CollectorFactory, fault_broker: BrokerSpec) -> CollectorProcess:
    """The collector of the MQTT plant, not started; its broker session exists already,
    so the broker keeps every message for it from now on."""
    process = make_collector(MQTT_PLANT)
    _join_session(fault_broker.port, process.client_id, "faults/+/+")
    return process


def _session_client(client_id: str) -> mqtt.Client:
    return mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )


def _join_session(port: int, client_id: str, topic_filter: str) -> None:
    """Open the collector's persistent session, so the broker queues from now on."""
    client = _session_client(client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 3600
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    client.loop_start()
    client.subscribe(topic_filter, qos=1)
    assert subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


def _end_session(port: int, client_id: str) -> None:
    client = _session_client(client_id)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    with contextlib.suppress(OSError):
        client.connect("127.0.0.1", port, clean_start=True)
        client.loop_start()
        connected.wait(10)
        client.disconnect()
        client.loop_stop()


class SequencePublisher:
    """Publishes ``{"ts": ..., "values": {"seq": n}}`` for n = 0, 1, 2, ... with QoS 1.

    paho keeps every message until the broker acknowledged it and sends it again
    after a reconnect, so a broker restart loses nothing on the publishing side.
    """

    def __init__(self, port: int, rate_per_s: float = 200.0) -> None:
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"fault-publisher-{next(_names)}",
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._acknowledged = 0
        self._client.on_publish = self._on_publish
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        self._interval = 1 / rate_per_s
        self._start = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
        self._stop = threading.Event()
        self._messages: list[mqtt.MQTTMessageInfo] = []
        self._thread = threading.Thread(target=self._publish_until_stopped, daemon=True)
        self._thread.start()

    @property
    def published(self) -> int:
        return len(self._messages)

    def finish(self) -> int:
        """Stop, wait until the broker has every message; returns how many there were."""
        self._stop.set()
        self._thread.join()
        # Not wait_for_publish: it gives up on a message published while disconnected,
        # which paho nevertheless keeps and sends after the reconnect.
        deadline = time.monotonic() + 60
        while self._acknowledged < len(self._messages):
            assert time.monotonic() < deadline, "the broker did not take every message"
            time.sleep(0.1)
        self._client.disconnect()
        self._client.loop_stop()
        return len(self._messages)

    def _on_publish(self, *_: object) -> None:
        self._acknowledged += 1

    def _publish_until_stopped(self) -> None:
        for seq in itertools.count():
            if self._stop.is_set():
                return
            when = self._start + timedelta(milliseconds=seq)
            payload = {"ts": when.isoformat(), "values": {"seq": seq}}
            self._messages.append(self._client.publish(TOPIC, json.dumps(payload), qos=1))
            time.sleep(self._interval)


def stored_sequence(database: str, machine: str = MACHINE) -> list[int]:
    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT value FROM telemetry WHERE machine_id = %s AND signal = 'seq' ORDER BY value",
            (machine,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def wait_for_sequence(database: str, count: int, timeout_s: float = 90.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(psycopg.OperationalError):
            stored = stored_sequence(database)
            if len(stored) >= count or time.monotonic() > deadline:
                return stored
        time.sleep(0.5)


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Poll ``condition``; a metrics endpoint that does not answer this once counts as no."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(urllib.error.URLError, ConnectionError):
            if condition():
                return
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def spool_segments(collector_dir: Path) -> list[Path]:
    return sorted((collector_dir / "state" / "spool").glob("*.seg"))


def test_timescaledb_down_for_minutes_loses_and_doubles_nothing(
    collector: CollectorProcess,
    database: str,
    fault_cluster: ClusterSpec,
    fault_broker: BrokerSpec,
    tmp_path: Path,
) -> None:
    collector.start()
    publisher = SequencePublisher(fault_broker.port)
    time.sleep(2)
    postgres_cluster.stop(fault_cluster)
    wait_until(lambda: collector.metrics()["linecare_collector_samples_spooled_total"] > 0)
    spooled_at_first = collector.metrics()["linecare_collector_samples_spooled_total"]
    time.sleep(OUTAGE_S)
    # Still taking samples in, into the spool, and acknowledging them meanwhile.
    during = collector.metrics()
    assert during["linecare_collector_samples_spooled_total"] > spooled_at_first + 1000
    assert during["linecare_collector_spool_bytes"] > 0
    assert spool_segments(tmp_path)

    postgres_cluster.start(fault_cluster)
    time.sleep(2)
    total = publisher.finish()
    stored = wait_for_sequence(database, total)

    assert stored == list(range(total))
    wait_until(lambda: not spool_segments(tmp_path))
    after = collector.metrics()
    assert (
        after["linecare_collector_samples_drained_total"]
        == (after["linecare_collector_samples_spooled_total"])
    )
    assert after["linecare_collector_spool_bytes"] == 0


def test_collector_killed_mid_batch_loses_and_doubles_nothing(
    collector: CollectorProcess,
    database: str,
    fault_cluster: ClusterSpec,
    fault_broker: BrokerSpec,
    tmp_path: Path,
) -> None:
    collector.start()
    publisher = SequencePublisher(fault_broker.port)
    time.sleep(3)
    # First while writing to TimescaleDB: unacknowledged messages come again.
    collector.kill()
    time.sleep(1)
    collector.start()
    time.sleep(2)
    # Then while TimescaleDB is down: the spool is left behind for the next run.
    postgres_cluster.stop(fault_cluster)
    wait_until(lambda: collector.metrics()["linecare_collector_samples_spooled_total"] > 500)
    collector.kill()
    left_behind = spool_segments(tmp_path)
    postgres_cluster.start(fault_cluster)
    collector.start()
    time.sleep(2)
    total = publisher.finish()
    stored = wait_for_sequence(database, total)

    assert left_behind
    assert stored == list(range(total))
    assert "left by an earlier run" in collector.log
    wait_until(lambda: not spool_segments(tmp_path))


def test_mosquitto_restart_loses_and_doubles_nothing(
    collector: CollectorProcess, database: str, fault_broker: BrokerSpec
) -> None:
    collector.start()
    publisher = SequencePublisher(fault_broker.port)
    time.sleep(3)
    mosquitto_broker.stop(fault_broker)
    time.sleep(3)
    mosquitto_broker.start(fault_broker)
    time.sleep(5)
    total = publisher.finish()
    stored = wait_for_sequence(database, total)

    assert stored == list(range(total))


OPCUA_MACHINE = "opcua-m1"


async def test_opcua_server_restart_loses_and_doubles_nothing(
    make_collector: CollectorFactory, database: str
) -> None:
    """What the server published while the collector was subscribed is stored exactly once.

    Values a server changes while no client is subscribed never reach anyone:
    OPC UA keeps no history for them. So the test publishes only while the
    collector is subscribed, and restarts the server in between.
    """
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}/faults/"
    source = {
        "protocol": "opcua",
        "endpoint": endpoint,
        "sampling_interval_ms": 0,
        "publishing_interval_ms": 100,
        "events": {"enabled": False},
    }
    raw = fault_plant(fault_line("opcua-line", OPCUA_MACHINE, source))
    lines = [line for _, _, line in Plant.model_validate(raw).lines()]
    process = make_collector(raw)
    start = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)

    def value(seq: int) -> Reading:
        return Reading(start + timedelta(milliseconds=seq), OPCUA_MACHINE, "seq", float(seq))

    async def publish(server: SimulatorOpcUaServer, sequence: range) -> None:
        for seq in sequence:
            sample = value(seq)
            await server.write_value(sample.machine_id, sample.signal, sample.value, sample.time)
            await asyncio.sleep(0.01)

    first = SimulationTick(start, (), (value(0),))
    async with serving_opcua(endpoint, lines, first) as server:
        await asyncio.to_thread(process.start)
        await _until_subscribed(server)
        await publish(server, range(1, 300))
        assert await _stored(database, OPCUA_MACHINE, 300) == list(range(300))
    # Restarted, the server holds its last value again, with the same source time:
    # the collector reads it once more on subscribing, and stores it once.
    last = SimulationTick(start, (), (value(299),))
    async with serving_opcua(endpoint, lines, last) as server:
        await _until_subscribed(server)
        await publish(server, range(300, 600))
        stored = await _stored(database, OPCUA_MACHINE, 600)

    assert stored == list(range(600))


async def _until_subscribed(server: SimulatorOpcUaServer, timeout_s: float = 60.0) -> None:
    """Until a client monitors items on this server (asyncua keeps no public count)."""
    subscriptions = server.server.iserver.subscription_service.subscriptions
    deadline = time.monotonic() + timeout_s
    while not any(s.monitored_item_srv._monitored_items for s in subscriptions.values()):
        assert time.monotonic() < deadline, "the collector did not subscribe"
        await asyncio.sleep(0.1)


async def _stored(database: str, machine: str, count: int) -> list[int]:
    deadline = time.monotonic() + 60
    while True:
        stored = await asyncio.to_thread(stored_sequence, database, machine)
        if len(stored) >= count or time.monotonic() > deadline:
            return stored
        await asyncio.sleep(0.2)
