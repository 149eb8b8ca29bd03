"""A TimescaleDB cluster and a Mosquitto broker of one's own, on free ports, removed after.

The benchmark runs against these so it measures nothing else's load; fault tests
use them because they stop and restart them, which a shared service must not see.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from services import mosquitto_broker, postgres_cluster
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from services.postgres_cluster import ClusterSpec

PG_BIN_DIR = Path("/usr/lib/postgresql/15/bin")


def _throwaway_dir(prefix: str) -> Path:
    # Under /tmp: the postgres account, which runs the server when we are root, must reach it.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@contextlib.contextmanager
def throwaway_cluster(*, durable: bool = False) -> Iterator[ClusterSpec]:
    """A running PostgreSQL 15 + TimescaleDB cluster, removed on the way out."""
    root = _throwaway_dir("linecare-own-pg-")
    spec = ClusterSpec(
        data_dir=root / "data", port=free_port(), bin_dir=PG_BIN_DIR, durable=durable
    )
    try:
        postgres_cluster.initialise(spec)
        postgres_cluster.start(spec)
        yield spec
    finally:
        postgres_cluster.remove(spec)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_broker(*, persistent: bool = True) -> Iterator[BrokerSpec]:
    """A running Mosquitto broker; persistent, so sessions survive its restart."""
    root = _throwaway_dir("linecare-own-mqtt-")
    spec = BrokerSpec(state_dir=root, port=free_port(), persistent=persistent)
    try:
        mosquitto_broker.start(spec)
        yield spec
    finally:
        mosquitto_broker.stop(spec)
        shutil.rmtree(root, ignore_errors=True)
