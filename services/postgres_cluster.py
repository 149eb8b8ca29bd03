"""A PostgreSQL 15 cluster with TimescaleDB preloaded, in a directory of the project's.

PostgreSQL refuses to run as root. Set-up and CI run as root here, so the server
processes run as the machine's ``postgres`` user, with a data directory that user
owns and can reach.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CONF_MARKER = "# linecare settings"


class ClusterError(RuntimeError):
    """The cluster could not be initialised, started or stopped."""


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    data_dir: Path
    port: int
    bin_dir: Path
    # Throwaway clusters for tests trade durability for speed.
    durable: bool = True


def _run_as() -> str | None:
    """The unprivileged account to run the server as, or None to run as ourselves."""
    return "postgres" if os.geteuid() == 0 else None


def _prepare_dir(path: Path, owner: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if owner is not None:
        account = pwd.getpwnam(owner)
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o700)


def _run(spec: ClusterSpec, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    owner = _run_as()
    result = subprocess.run(
        [str(spec.bin_dir / args[0]), *args[1:]],
        user=owner,
        group=owner,
        extra_groups=[] if owner else None,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise ClusterError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _settings(spec: ClusterSpec) -> str:
    lines = [
        _CONF_MARKER,
        "listen_addresses = '127.0.0.1'",
        f"port = {spec.port}",
        f"unix_socket_directories = '{spec.data_dir}'",
        "shared_preload_libraries = 'timescaledb'",
        "timescaledb.telemetry_level = off",
        "max_connections = 200",
        "shared_buffers = 256MB",
        "log_min_messages = warning",
    ]
    if not spec.durable:
        lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    return "\n".join(lines) + "\n"


def initialise(spec: ClusterSpec) -> bool:
    """Create the cluster if it does not exist yet; returns True when it was created."""
    if (spec.data_dir / "PG_VERSION").exists():
        _write_settings(spec)
        return False
    if not (spec.bin_dir / "initdb").exists():
        raise ClusterError(f"no initdb in {spec.bin_dir}: run scripts/setup.sh first")
    _prepare_dir(spec.data_dir, _run_as())
    _run(
        spec,
        "initdb",
        "-D",
        str(spec.data_dir),
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    _write_settings(spec)
    return True


def _write_settings(spec: ClusterSpec) -> None:
    conf = spec.data_dir / "postgresql.conf"
    text = conf.read_text()
    base = text.split(_CONF_MARKER)[0]
    conf.write_text(base + _settings(spec))


def is_running(spec: ClusterSpec) -> bool:
    if not (spec.data_dir / "PG_VERSION").exists():
        return False
    return _run(spec, "pg_ctl", "status", "-D", str(spec.data_dir), check=False).returncode == 0


def start(spec: ClusterSpec) -> None:
    """Start the server and wait until it accepts connections. No-op when running."""
    if is_running(spec):
        return
    log_file = spec.data_dir / "server.log"
    _run(spec, "pg_ctl", "start", "-w", "-t", "60", "-D", str(spec.data_dir), "-l", str(log_file))


def stop(spec: ClusterSpec) -> None:
    if is_running(spec):
        _run(spec, "pg_ctl", "stop", "-w", "-m", "fast", "-D", str(spec.data_dir))


def remove(spec: ClusterSpec) -> None:
    stop(spec)
    shutil.rmtree(spec.data_dir, ignore_errors=True)


def dsn(spec: ClusterSpec, dbname: str = "postgres") -> str:
    return f"host=127.0.0.1 port={spec.port} user=postgres dbname={dbname}"
