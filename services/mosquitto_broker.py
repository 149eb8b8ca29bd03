"""A Mosquitto broker with the project's own configuration, on a port of our choosing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from services.free_ports import port_is_open


class BrokerError(RuntimeError):
    """The broker could not be started."""


@dataclass(frozen=True, slots=True)
class BrokerSpec:
    state_dir: Path
    port: int
    persistent: bool = True

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "mosquitto.pid"

    @property
    def conf_file(self) -> Path:
        return self.state_dir / "mosquitto.conf"


def _config(spec: BrokerSpec) -> str:
    lines = [
        f"listener {spec.port} 127.0.0.1",
        "allow_anonymous true",
        f"pid_file {spec.pid_file}",
        f"log_dest file {spec.state_dir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        # Collectors keep persistent sessions; their queues must outlast an outage
        # (see docs/scaling.md for sizing), and acks wait for the database write,
        # so 3.1.1 clients need more than mosquitto's 20 messages in flight.
        "max_queued_messages 1000000",
        "max_inflight_messages 1000",
        f"persistence {'true' if spec.persistent else 'false'}",
        f"persistence_location {spec.state_dir}/",
    ]
    if os.geteuid() == 0:
        # Otherwise mosquitto drops to its own user, who cannot write our state dir.
        lines.append("user root")
    return "\n".join(lines) + "\n"


def _pid(spec: BrokerSpec) -> int | None:
    try:
        pid = int(spec.pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def is_running(spec: BrokerSpec) -> bool:
    return _pid(spec) is not None and port_is_open(spec.port)


def start(spec: BrokerSpec, timeout_s: float = 10.0) -> None:
    """Start the broker as a daemon and wait until it listens. No-op when running."""
    if is_running(spec):
        return
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise BrokerError("mosquitto is not installed: run scripts/setup.sh first")
    if port_is_open(spec.port):
        raise BrokerError(f"port {spec.port} is taken by another program")
    spec.state_dir.mkdir(parents=True, exist_ok=True)
    spec.conf_file.write_text(_config(spec))
    started = subprocess.run(
        [binary, "-d", "-c", str(spec.conf_file)], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        raise BrokerError(f"mosquitto failed to start: {started.stderr.strip()}")
    # As root it warns on every start; we run it as root on purpose (see _config).
    deadline = time.monotonic() + timeout_s
    while not port_is_open(spec.port):
        if time.monotonic() > deadline:
            raise BrokerError(f"mosquitto did not listen on {spec.port}; see its log")
        time.sleep(0.05)


def stop(spec: BrokerSpec, timeout_s: float = 10.0) -> None:
    pid = _pid(spec)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _pid(spec) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    spec.pid_file.unlink(missing_ok=True)
