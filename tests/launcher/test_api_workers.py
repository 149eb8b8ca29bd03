"""`linecare api --workers 2`: two processes on one port, one signing secret between them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from models.plant import Plant
from services.free_ports import free_port
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.user_store import DEMO_PASSWORD, seed_demo_users

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _api_workers(dsn: str, port: int, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "LINECARE_DATABASE_URL": dsn,
        "LINECARE_STATE_DIR": str(tmp_path / "state"),
        "LINECARE_MANAGE_SERVICES": "false",
    }
    env.pop("LINECARE_JWT_SECRET", None)  # the parent makes one for both workers
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "launcher.cli", "api", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        log.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the API workers did not answer within 60 s")


async def test_a_token_from_one_worker_is_good_at_the_other(
    db_pool: Pool, database_dsn: str, plant: Plant, tmp_path: Path
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)

    answers, workers, ended = await asyncio.to_thread(_sign_in_and_ask, database_dsn, tmp_path)

    assert answers == [200] * 20
    assert len(workers) >= 2
    assert ended


def _sign_in_and_ask(dsn: str, tmp_path: Path) -> tuple[list[int], list[int], bool]:
    """A token from one sign-in, then twenty requests each on a new connection (the
    kernel hands them to both workers in turn); the workers and whether all ended."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _api_workers(dsn, port, tmp_path) as process:
        _wait_until_up(url, process, tmp_path / "api.log")
        signed = httpx.post(
            f"{url}/api/v1/token", json={"login": "demo-desk", "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        bearer = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        answers = [httpx.get(f"{url}/api/v1/me", headers=bearer).status_code for _ in range(20)]
        workers = _children_of(process.pid)
    return answers, workers, process.returncode is not None


def _children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (uvicorn's workers under its supervisor)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children
