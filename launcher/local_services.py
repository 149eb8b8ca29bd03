"""The project's own TimescaleDB cluster and Mosquitto broker, for machines without Docker."""

from __future__ import annotations

from dataclasses import dataclass

from services import mosquitto_broker, postgres_cluster
from services.free_ports import port_is_open
from services.mosquitto_broker import BrokerSpec
from services.postgres_cluster import ClusterSpec
from settings.linecare_settings import Settings


@dataclass(frozen=True, slots=True)
class LocalServices:
    cluster: ClusterSpec
    broker: BrokerSpec

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalServices:
        cluster = ClusterSpec(
            data_dir=settings.cluster_data_dir, port=settings.pg_port, bin_dir=settings.pg_bin_dir
        )
        broker = BrokerSpec(state_dir=settings.state_dir / "mosquitto", port=settings.mqtt_port)
        return cls(cluster, broker)

    def up(self) -> list[str]:
        """Start what is not running yet; returns the names of what this call started.

        When a service fails to start, those this call started are stopped again:
        left running, the next start would take them for someone else's.
        """
        started: list[str] = []
        try:
            if not postgres_cluster.is_running(self.cluster):
                if port_is_open(self.cluster.port):
                    raise postgres_cluster.ClusterError(
                        _taken(self.cluster.port, "LINECARE_PG_PORT")
                    )
                postgres_cluster.initialise(self.cluster)
                # Named before it starts: a start that times out may leave it running.
                started.append("timescaledb")
                postgres_cluster.start(self.cluster)
            if not mosquitto_broker.is_running(self.broker):
                if port_is_open(self.broker.port):
                    raise mosquitto_broker.BrokerError(
                        _taken(self.broker.port, "LINECARE_MQTT_PORT")
                    )
                started.append("mosquitto")
                mosquitto_broker.start(self.broker)
        except BaseException:
            self.down(started)
            raise
        return started

    def down(self, names: list[str] | None = None) -> None:
        """Stop the named services, or all of them."""
        if names is None or "mosquitto" in names:
            mosquitto_broker.stop(self.broker)
        if names is None or "timescaledb" in names:
            postgres_cluster.stop(self.cluster)

    def status(self) -> dict[str, str]:
        return {
            "timescaledb": (
                f"running on 127.0.0.1:{self.cluster.port} (data {self.cluster.data_dir})"
                if postgres_cluster.is_running(self.cluster)
                else "stopped"
            ),
            "mosquitto": (
                f"running on 127.0.0.1:{self.broker.port}"
                if mosquitto_broker.is_running(self.broker)
                else "stopped"
            ),
        }


def _taken(port: int, setting: str) -> str:
    return f"port {port} is taken by another program; set {setting} to a free one"
