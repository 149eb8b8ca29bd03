"""A machine's anomaly score: the newest explained by its signals, and the history before it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_anomaly_score

pytestmark = pytest.mark.integration


@pytest.fixture
async def scores(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        for hours_before in (30, 12, 1, 0):
            await insert_anomaly_score(
                conn,
                machine_id="l2-filler",
                time=T0 - timedelta(hours=hours_before),
                score=10.0 - hours_before / 10,
                contributions=[("bearing_temp", 3.1), ("vibration_rms", 1.2)],
            )


async def test_latest_score_comes_with_its_contributions(
    client: httpx.AsyncClient, scores: None
) -> None:
    response = await client.get("/api/machines/l2-filler/anomaly", headers=NORDBRAU)
    assert response.status_code == 200
    body = response.json()
    assert body["latest"] == {
        "time": "2026-03-02T12:00:00Z",
        "score": 10.0,
        "contributions": [
            {"signal": "bearing_temp", "deviation": 3.1},
            {"signal": "vibration_rms", "deviation": 1.2},
        ],
    }


async def test_default_history_is_the_day_up_to_the_newest_score(
    client: httpx.AsyncClient, scores: None
) -> None:
    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()
    assert (body["since"], body["until"]) == ("2026-03-01T12:00:00Z", "2026-03-02T12:00:00Z")
    assert [p["score"] for p in body["history"]] == [8.8, 9.9, 10.0]


async def test_a_machine_never_scored_has_no_latest(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/machines/l1-capper/anomaly", headers=SUPPORT)).json()
    assert (body["latest"], body["history"]) == (None, [])


async def test_scores_come_with_the_threshold_alerts_open_at(
    client: httpx.AsyncClient, scores: None
) -> None:
    # The sustained-anomaly rule's default, which the analytics process runs with.
    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()
    assert body["alert_threshold"] == 3.0


async def test_anomaly_of_another_customers_machine_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/machines/l3-erector/anomaly", headers=NORDBRAU)
    assert response.status_code == 404


async def test_since_after_until_answers_422(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/machines/l2-filler/anomaly",
        params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        headers=SUPPORT,
    )
    assert response.status_code == 422
    assert "must be before" in response.json()["detail"]
