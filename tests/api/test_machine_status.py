"""GET /api/machine-status: online, or offline since when and why, per visible machine."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from models.machine_status import OfflineReason
from storage.connections import Pool
from storage.machine_status_store import MachineDown, record_down, record_seen
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT

AT = datetime(2026, 11, 21, 6, tzinfo=UTC)
REFUSED = "opc.tcp://plc refused LineCare's client certificate (BadCertificateUntrusted): trust .."


async def _record(pool: Pool) -> None:
    async with pool.connection() as conn:
        await record_seen(conn, seen={"l1-filler": (AT, AT), "l1-capper": (AT, AT)})
        await record_down(
            conn, downs=[MachineDown("l1-capper", AT, OfflineReason.UNTRUSTED, REFUSED)]
        )


async def test_a_line_shows_online_offline_with_reason_and_unknown(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await _record(seeded_pool)
    response = await client.get(
        "/api/machine-status", params={"line_id": "line-1"}, headers=SUPPORT
    )
    assert response.status_code == 200
    by_machine = {row["machine_id"]: row for row in response.json()}

    assert by_machine["l1-filler"]["status"] == "online"
    assert by_machine["l1-filler"]["reason"] is None
    capper = by_machine["l1-capper"]
    assert (capper["status"], capper["reason"], capper["detail"]) == (
        "offline",
        "untrusted",
        REFUSED,
    )
    assert capper["since"] == "2026-11-21T06:00:00Z"
    unrecorded = [row for row in by_machine.values() if row["status"] == "unknown"]
    assert unrecorded and all(row["line_id"] == "line-1" for row in unrecorded)


async def test_customers_see_only_their_own_machines(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await _record(seeded_pool)
    own = await client.get("/api/machine-status", headers=NORDBRAU)
    assert {row["line_id"] for row in own.json()} == {"line-1", "line-2"}
    other = await client.get("/api/machine-status", params={"line_id": "line-1"}, headers=ALPENPACK)
    assert other.status_code == 404
