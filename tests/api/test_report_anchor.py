"""The OEE report's default range ends at the line's newest data, whatever the clock of
the server or the browser says: a simulated plant running months away from the wall clock
still opens on its own week."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import NORDBRAU
from tests.api.factories import T0, insert_oee, insert_samples

pytestmark = pytest.mark.integration


async def test_a_line_reporting_no_state_still_anchors_its_report_on_its_newest_sample(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    # The filler sends vibration only (its state signal is silent); T0 is months from now.
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn,
            machine_id="l1-filler",
            signal="vibration_rms",
            samples=[(T0 - timedelta(minutes=1), 3.0), (T0, 3.1)],
        )
    response = await client.get("/api/reports/lines/line-1", headers=NORDBRAU)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-02-23T12:00:00Z", "2026-03-02T12:00:00Z")


async def test_the_shift_under_way_on_such_a_line_is_marked_in_progress(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-filler", signal="vibration_rms", samples=[(T0, 3.1)]
        )
        await insert_oee(
            conn, scope="line", subject_id="line-1", shift_start=T0 - timedelta(hours=6)
        )
    response = await client.get("/api/oee", params={"line_id": "line-1"}, headers=NORDBRAU)
    assert response.status_code == 200, response.text
    [shift] = response.json()["shifts"]
    assert (shift["in_progress"], shift["counted_until"]) == (True, "2026-03-02T12:00:00Z")
