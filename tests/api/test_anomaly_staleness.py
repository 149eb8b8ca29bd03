"""A score that no longer describes the machine is marked stale, with the reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import numpy as np
import pytest

from models.condition_model import ModelStatus
from models.states import PackMLState
from storage import condition_model_store, condition_scoring_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.analytics.condition_factories import SIGNALS, WIDTH, healthy, trained
from tests.api.conftest import NORDBRAU
from tests.api.factories import T0, insert_anomaly_score, insert_samples

pytestmark = pytest.mark.integration

MACHINE = "l2-filler"
URL = f"/api/machines/{MACHINE}/anomaly"


@pytest.fixture
async def scored(seeded_pool: Pool) -> Pool:
    """A machine with a model (30 s observations) and a score at T0."""
    async with seeded_pool.connection() as conn:
        await condition_model_store.insert_model(
            conn,
            model=trained(healthy(np.random.default_rng(0), 60), machine_id=MACHINE),
            status=ModelStatus.ACTIVE,
            reason="first model",
        )
        await insert_anomaly_score(
            conn, machine_id=MACHINE, time=T0, score=0.3, contributions=[("bearing_temp", 1, 0.3)]
        )
    return seeded_pool


async def _machine_reports(pool: Pool, *, after: timedelta, state: PackMLState) -> None:
    async with pool.connection() as conn:
        await insert_samples(
            conn, machine_id=MACHINE, signal="state", samples=[(T0 - timedelta(hours=1), state)]
        )
        await insert_samples(
            conn, machine_id=MACHINE, signal="bearing_temp", samples=[(T0 + after, 41.0)]
        )


async def _analysed_until(pool: Pool, until: datetime) -> None:
    async with pool.connection() as conn:
        model = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )
        assert model is not None
        await condition_scoring_store.save_position(
            conn,
            machine_id=MACHINE,
            model_id=model.stored.id,
            scored_until=until,
            state={},
            note="",
        )


async def test_a_score_close_behind_the_running_machines_data_is_current(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    await _machine_reports(scored, after=WIDTH, state=PackMLState.EXECUTE)
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert (body["latest_stale"], body["latest_stale_reason"]) == (False, None)


async def test_a_score_the_analysis_went_past_for_an_hour_is_stale(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    await _machine_reports(scored, after=timedelta(hours=1), state=PackMLState.EXECUTE)
    await _analysed_until(scored, T0 + timedelta(hours=1))
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert body["latest_stale"] is True
    assert body["latest_stale_reason"] == "no new score in the 1 h after it"
    assert body["latest"]["score"] == 0.3  # still there, to be shown as of its time


async def test_a_score_a_few_observations_behind_the_analysis_is_current(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    await _machine_reports(scored, after=3 * WIDTH, state=PackMLState.EXECUTE)
    await _analysed_until(scored, T0 + 2 * WIDTH)
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert (body["latest_stale"], body["latest_stale_reason"]) == (False, None)


async def test_a_score_from_an_analysis_an_hour_behind_the_data_is_stale(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    await _machine_reports(scored, after=timedelta(hours=1), state=PackMLState.EXECUTE)
    await _analysed_until(scored, T0)
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert (body["latest_stale"], body["latest_stale_reason"]) == (
        True,
        "the analysis is 1 h behind the machine's data",
    )


async def test_an_analysis_some_minutes_behind_does_not_make_the_score_stale(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    # A demo at 60x speed analyses every five plant minutes, more under load.
    await _machine_reports(scored, after=timedelta(minutes=12), state=PackMLState.EXECUTE)
    await _analysed_until(scored, T0)
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert body["latest_stale"] is False


async def test_a_score_standing_while_the_machine_is_stopped_is_stale(
    client: httpx.AsyncClient, scored: Pool
) -> None:
    await _machine_reports(scored, after=timedelta(0), state=PackMLState.SUSPENDED)
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert (body["latest_stale"], body["latest_stale_reason"]) == (
        True,
        "the machine is not running",
    )


async def test_a_score_left_by_a_model_no_longer_in_use_is_stale(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_anomaly_score(conn, machine_id=MACHINE, time=T0, score=0.3, contributions=[])
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert body["status"] == "learning"
    assert (body["latest_stale"], body["latest_stale_reason"]) == (
        True,
        "no model scores the machine now",
    )


async def test_no_score_is_not_stale(client: httpx.AsyncClient) -> None:
    body = (await client.get(URL, headers=NORDBRAU)).json()
    assert (body["latest"], body["latest_stale"]) == (None, False)
