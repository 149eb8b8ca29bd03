"""A machine's anomaly score: the newest explained by its signals, the history before it,
and whether the machine is still learning, scoring with a model, or cannot be scored."""

from __future__ import annotations

from datetime import timedelta

import httpx
import numpy as np
import pytest

from models.condition_model import LearningProgress, ModelStatus
from storage import condition_model_store, condition_scoring_store
from storage.connections import Pool
from tests.analytics.condition_factories import FAST, healthy, trained
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
                score=0.9 - hours_before / 100,
                contributions=[("bearing_temp", 3.1, 0.7), ("vibration_rms", 1.2, 0.2)],
            )


async def test_latest_score_comes_with_its_contributions(
    client: httpx.AsyncClient, scores: None
) -> None:
    response = await client.get("/api/machines/l2-filler/anomaly", headers=NORDBRAU)
    assert response.status_code == 200
    body = response.json()
    assert body["latest"] == {
        "time": "2026-03-02T12:00:00Z",
        "score": 0.9,
        "contributions": [
            {"signal": "bearing_temp", "deviation": 3.1, "contribution": 0.7},
            {"signal": "vibration_rms", "deviation": 1.2, "contribution": 0.2},
        ],
    }


async def test_default_history_is_the_day_up_to_the_newest_score(
    client: httpx.AsyncClient, scores: None
) -> None:
    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()
    assert (body["since"], body["until"]) == ("2026-03-01T12:00:00Z", "2026-03-02T12:00:00Z")
    assert [p["score"] for p in body["history"]] == [0.78, 0.89, 0.9]


async def test_a_machine_never_scored_has_no_latest(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/machines/l1-capper/anomaly", headers=SUPPORT)).json()
    assert (body["latest"], body["history"]) == (None, [])


async def test_scores_come_with_the_threshold_alerts_open_at(
    client: httpx.AsyncClient, scores: None
) -> None:
    # The sustained-anomaly rule's default, which the analytics process runs with.
    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()
    assert body["alert_threshold"] == 0.5


async def test_a_machine_without_data_is_learning(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()

    assert (body["status"], body["learning"], body["model"]) == ("learning", None, None)
    assert body["note"] == "waiting for the first data"


async def test_a_learning_machine_shows_how_far_its_training_data_has_got(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    progress = LearningProgress("l2-filler", 60, 120, 1800.0, 3600.0)
    async with seeded_pool.connection() as conn:
        await condition_scoring_store.save_learning(conn, progress=progress, note="learning")

    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()

    assert (body["status"], body["note"]) == ("learning", "learning")
    assert body["learning"] == {
        "observations_seen": 60,
        "observations_needed": 120,
        "running_hours_seen": 0.5,
        "running_hours_needed": 1.0,
    }


async def _store_model(pool: Pool, *, constant_current: bool = False) -> None:
    values = healthy(np.random.default_rng(0), 60)
    if constant_current:
        values[:, 2] = 12.0
    async with pool.connection() as conn:
        await condition_model_store.insert_model(
            conn,
            model=trained(values, machine_id="l2-filler"),
            status=ModelStatus.ACTIVE,
            reason="first model",
        )


async def test_a_scoring_machine_shows_its_model_and_how_each_signal_is_scored(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await _store_model(seeded_pool, constant_current=True)

    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()

    assert (body["status"], body["note"], body["learning"]) == ("scoring", "", None)
    model = body["model"]
    # Trained on the 60 observations but their warm-up.
    trained_on = 60 - FAST.settle_observations
    assert (model["version"], model["status"], model["observations"]) == (1, "active", trained_on)
    assert model["regimes"] == ["*"]
    assert [
        (s["signal"], s["scored"], s["scale_basis"], s["direction"]) for s in model["signals"]
    ] == [
        ("vibration_rms", True, "spread", "both"),
        ("bearing_temp", True, "spread", "both"),
        ("motor_current", False, "constant", None),
    ]


async def test_a_machine_whose_models_do_not_load_is_unscored_with_the_reason(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    await _store_model(seeded_pool)
    async with seeded_pool.connection() as conn:
        await conn.execute("UPDATE condition_models SET model = '{}'")

    body = (await client.get("/api/machines/l2-filler/anomaly", headers=SUPPORT)).json()

    assert (body["status"], body["model"]) == ("unscored", None)
    assert "version 1 does not load" in body["note"]


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
