"""The diagnosis page in a real headless chromium: charts, a pushed live value, an annotation.

Chromium is driven over the DevTools protocol by tests/api/diagnosis_browser.mjs, so
nothing is downloaded; without chromium or node the test is skipped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from storage.connections import Pool
from tests.api.factories import T0, insert_samples, insert_series, insert_ticket

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("diagnosis_browser.mjs")


async def test_support_diagnoses_a_machine_in_chromium(api_url: str, seeded_pool: Pool) -> None:
    if not (shutil.which("chromium") and shutil.which("node")):
        pytest.skip("needs Debian's chromium and node")
    start = T0 - timedelta(hours=2)
    async with seeded_pool.connection() as conn:
        for signal, level in (
            ("vibration_rms", 2.0),
            ("bearing_temp", 61.0),
            ("motor_current", 8.0),
        ):
            await insert_series(
                conn,
                machine_id="l1-filler",
                signal=signal,
                start=start,
                step=timedelta(seconds=10),
                values=[level + (i % 7) / 10 for i in range(720)],
            )
        ticket_id = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
    proc = await asyncio.create_subprocess_exec(
        "node", "--no-warnings", "--experimental-websocket", str(SCRIPT), api_url,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    ready = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert json.loads(ready) == {"ready": True}, ready
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-filler", signal="bearing_temp", samples=[(T0, 77.25)]
        )
    proc.stdin.write(b"go\n")
    await proc.stdin.drain()
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    seen = json.loads(out.decode().strip().splitlines()[-1])

    assert seen["charts"] == ["vibration rms", "bearing temp", "motor current"]
    assert seen["before"].startswith("61")
    assert seen["after"].startswith("77.25")  # pushed over the stream, no reload
    assert "buckets of" in seen["note"]
    assert seen["attached"] == "Attached to the ticket."
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT machine_id, signal, note FROM ticket_annotations WHERE ticket_id = %s",
            (ticket_id,),
        )
        assert await cursor.fetchall() == [("l1-filler", seen["marked"], "vibration steps up here")]
