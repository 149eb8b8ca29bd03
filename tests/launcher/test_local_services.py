"""The demo's own TimescaleDB cluster and Mosquitto broker: all of them up, or none."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from launcher.local_services import LocalServices
from services import postgres_cluster
from services.free_ports import free_port
from services.mosquitto_broker import BrokerError, BrokerSpec
from services.postgres_cluster import ClusterSpec
from tests.fixtures.fix_services import PG_BIN_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def services_root() -> Iterator[Path]:
    # Under /tmp rather than pytest's tmp_path: the postgres account must reach it.
    root = Path(tempfile.mkdtemp(prefix="linecare-services-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_broker_that_cannot_start_takes_the_cluster_it_started_down(
    services_root: Path,
) -> None:
    cluster = ClusterSpec(
        data_dir=services_root / "pgdata", port=free_port(), bin_dir=PG_BIN_DIR, durable=False
    )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        broker = BrokerSpec(state_dir=services_root / "mosquitto", port=squatter.getsockname()[1])
        services = LocalServices(cluster, broker)
        try:
            with pytest.raises(BrokerError, match="LINECARE_MQTT_PORT"):
                services.up()
            # Left running, the next demo would take it for someone else's and
            # never stop it.
            assert not postgres_cluster.is_running(cluster)
        finally:
            postgres_cluster.stop(cluster)
