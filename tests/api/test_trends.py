"""Trends of several signals on one grid, reduced in the database, and the contributions."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pytest

from api.schemas.trends import TrendsPublic, grid_times
from models.condition_model import ModelStatus
from storage import condition_model_store
from storage.connections import Connection, Pool
from storage.trend_queries import bucket_grid
from tests.analytics.condition_factories import healthy, trained
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_anomaly_score, insert_series

pytestmark = pytest.mark.integration

MONTH = timedelta(days=30)


async def _series_in_sql(
    conn: Connection, *, machine_id: str, signal: str, start: datetime, span: timedelta, step_s: int
) -> None:
    """A steady sine over ``span``, one sample every ``step_s`` seconds, written in one go."""
    await conn.execute(
        "INSERT INTO telemetry (time, machine_id, signal, value)"
        " SELECT t, %s, %s, 50 + sin(extract(epoch FROM t) / 3600.0)"
        " FROM generate_series(%s::timestamptz, %s::timestamptz, %s * INTERVAL '1 second') AS t",
        (machine_id, signal, start, start + span, step_s),
    )


async def test_a_one_second_spike_survives_a_month_drawn_at_a_thousand_points(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    start = T0 - MONTH
    spike_at = start + timedelta(days=17, hours=5, seconds=7)
    async with seeded_pool.connection() as conn:
        # Every 5 s: a month at 1 Hz would take the test a minute to write, and the
        # reduction does not care how dense the samples are around the spike.
        await _series_in_sql(
            conn, machine_id="l1-filler", signal="vibration_rms", start=start, span=MONTH, step_s=5
        )
        await conn.execute(
            "INSERT INTO telemetry (time, machine_id, signal, value) VALUES (%s, %s, %s, %s)",
            (spike_at, "l1-filler", "vibration_rms", 400.0),
        )

    response = await client.get(
        "/api/machines/l1-filler/trends",
        params={
            "signals": "vibration_rms",
            "from": start.isoformat(),
            "to": T0.isoformat(),
            "points": 1000,
        },
        headers=SUPPORT,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    series = body["machine"]["series"][0]
    assert len(body["times"]) <= 1000
    assert max(v for v in series["max"] if v is not None) == 400.0
    # The spike stands in its own bucket; the average there barely moves.
    spike_bucket = series["max"].index(400.0)
    bucket_start = datetime.fromisoformat(body["times"][spike_bucket])
    assert bucket_start <= spike_at < bucket_start + timedelta(seconds=body["bucket_s"])
    assert series["avg"][spike_bucket] < 60
    assert sum(series["samples"]) == MONTH // timedelta(seconds=5) + 2


async def test_signals_and_a_sister_machine_share_one_grid(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    start = T0 - timedelta(hours=6)
    async with seeded_pool.connection() as conn:
        # Different rates and phases: the grid, not the samples, sets the times.
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="bearing_temp",
            start=start + timedelta(seconds=3),
            step=timedelta(seconds=7),
            values=[60.0 + i % 5 for i in range(3000)],
        )
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="motor_current",
            start=start,
            step=timedelta(seconds=30),
            values=[12.0] * 700,
        )
        await insert_series(
            conn,
            machine_id="l2-filler",
            signal="bearing_temp",
            start=start + timedelta(hours=1),
            step=timedelta(seconds=11),
            values=[70.0] * 1000,
        )

    response = await client.get(
        "/api/machines/l1-filler/trends",
        params={
            "signals": "bearing_temp, motor_current,bearing_temp",
            "from": start.isoformat(),
            "to": T0.isoformat(),
            "points": 200,
            "compare": "l2-filler",
        },
        headers=NORDBRAU,
    )

    assert response.status_code == 200, response.text
    # The document is written around the database's JSON (api/trends_json.py): it is
    # the model the OpenAPI document declares, field for field.
    declared = TrendsPublic.model_validate_json(response.content)
    assert declared.model_dump(mode="json") == response.json() | {
        "times": [t.isoformat().replace("+00:00", "Z") for t in declared.times]
    }
    body = response.json()
    times = body["times"]
    assert 100 <= len(times) <= 200
    steps = {
        datetime.fromisoformat(b) - datetime.fromisoformat(a) for a, b in itertools.pairwise(times)
    }
    assert steps == {timedelta(seconds=body["bucket_s"])}
    mine = body["machine"]["series"]
    assert [s["signal"] for s in mine] == ["bearing_temp", "motor_current"]
    assert all(len(s["avg"]) == len(times) for s in mine)
    sister = body["compare"]
    assert (sister["machine_id"], sister["machine_model"]) == ("l2-filler", "FIL-12")
    assert all(len(s["avg"]) == len(times) for s in sister["series"])
    # The sister has no data for the first hour: null there, its level after.
    sister_temp = sister["series"][0]["avg"]
    assert sister_temp[0] is None
    assert {v for v in sister_temp if v is not None} == {70.0}
    assert sister["series"][1]["avg"] == [None] * len(times)


async def test_the_baseline_shows_the_active_models_normals(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await condition_model_store.insert_model(
            conn,
            model=trained(
                healthy(np.random.default_rng(0), 60, levels=(2.0, 65.0, 12.0)),
                machine_id="l2-filler",
            ),
            status=ModelStatus.ACTIVE,
            reason="first model",
        )
    base = {"from": (T0 - timedelta(hours=1)).isoformat(), "to": T0.isoformat()}

    with_model = await client.get(
        "/api/machines/l2-filler/trends",
        params={**base, "signals": "bearing_temp,speed", "baseline": "true"},
        headers=SUPPORT,
    )
    without_model = await client.get(
        "/api/machines/l1-filler/trends", params={**base, "baseline": "true"}, headers=SUPPORT
    )

    assert TrendsPublic.model_validate_json(with_model.content).baseline is not None
    baseline = with_model.json()["baseline"]
    assert baseline["model_version"] == 1
    # Speed is not a scored condition signal: only the bearing temperature has normals.
    assert [s["signal"] for s in baseline["signals"]] == ["bearing_temp"]
    normal = baseline["signals"][0]["normals"][0]
    assert 64 < normal["center"] < 66 and normal["scale"] > 0
    assert without_model.json()["baseline"] is None


async def test_contributions_are_a_series_per_signal(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        for minute in range(60):
            await insert_anomaly_score(
                conn,
                machine_id="l1-filler",
                time=T0 - timedelta(minutes=minute),
                score=0.4,
                contributions=[
                    ("vibration_rms", 3.0, 0.3 if minute else 0.9),
                    ("bearing_temp", 1.0, 0.1),
                ],
            )

    response = await client.get(
        "/api/machines/l1-filler/contributions",
        params={"from": (T0 - timedelta(hours=1)).isoformat(), "points": 30},
        headers=NORDBRAU,
    )
    other = await client.get("/api/machines/l1-filler/contributions", headers=ALPENPACK)

    assert response.status_code == 200, response.text
    body = response.json()
    by_signal = {s["signal"]: s for s in body["series"]}
    assert set(by_signal) == {"bearing_temp", "vibration_rms"}
    assert len(by_signal["vibration_rms"]["max"]) == len(body["times"]) <= 30
    assert max(v for v in by_signal["vibration_rms"]["max"] if v is not None) == 0.9
    assert other.status_code == 404
    assert "l1-filler" in other.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"from": "2026-03-02T12:00:00Z", "to": "2026-03-01T12:00:00Z"}, 422, "before"),
        ({"from": "0001-01-01T00:00:00Z", "to": "2026-03-01T12:00:00Z"}, 422, "between"),
        ({"signals": "bearing_temp,no_such_signal"}, 404, "no_such_signal"),
        ({"signals": " , "}, 422, "no signal"),
        ({"points": 1}, 422, "points"),
        ({"points": 100_000}, 422, "points"),
        ({"compare": "no-such-machine"}, 404, "no-such-machine"),
        ({"compare": "l1-filler"}, 422, "itself"),
        ({"from": "yesterday"}, 422, "from"),
    ],
)
async def test_bad_requests_answer_4xx_with_a_message(
    client: httpx.AsyncClient, params: dict[str, str | int], status: int, message: str
) -> None:
    response = await client.get("/api/machines/l1-filler/trends", params=params, headers=SUPPORT)

    assert response.status_code == status
    assert message in response.text


async def test_a_range_of_two_centuries_draws_within_the_points(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/machines/l1-filler/trends",
        params={"from": "1970-01-01T00:00:00Z", "to": "2199-12-31T00:00:00Z", "points": 500},
        headers=SUPPORT,
    )

    assert response.status_code == 200, response.text
    assert len(response.json()["times"]) <= 500


async def test_another_customers_machine_is_not_found(client: httpx.AsyncClient) -> None:
    for path in ("trends", "contributions", "sisters"):
        response = await client.get(f"/api/machines/l3-packer/{path}", headers=NORDBRAU)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "machine 'l3-packer' not found"
    # Nor as the machine to compare with.
    response = await client.get(
        "/api/machines/l1-filler/trends", params={"compare": "l3-packer"}, headers=NORDBRAU
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "machine 'l3-packer' not found"


async def test_sisters_are_visible_machines_of_the_same_model(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/machines/l1-filler/sisters", headers=NORDBRAU)

    assert response.json() == ["l2-filler"]


@pytest.mark.parametrize("points", [2, 3, 10, 999, 1000, 5000])
@pytest.mark.parametrize(
    "span", [timedelta(seconds=1), timedelta(minutes=17), timedelta(days=30), timedelta(days=999)]
)
def test_a_grid_never_exceeds_its_points(points: int, span: timedelta) -> None:
    since = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)
    grid = bucket_grid(since, since + span, points=points)
    times = grid_times(grid)
    assert len(times) <= points
    assert times[0] <= since < times[0] + grid.width
    assert times[-1] <= since + span < times[-1] + grid.width


async def test_the_diagnosis_page_and_its_chart_library_are_served_locally(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/diagnosis", params={"machine": "l1-filler"})
    library = await client.get("/static/vendor/uplot/uPlot.esm.js")
    script = await client.get("/static/diagnosis.js")

    assert page.status_code == 200
    assert "/static/diagnosis.js" in page.text
    assert library.status_code == 200
    assert hashlib.sha256(library.content).hexdigest() == (
        "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba"
    )
    assert '"/static/vendor/uplot/uPlot.esm.js"' in script.text


async def test_the_openapi_document_declares_the_trends_model(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    answer = document["paths"]["/api/v1/machines/{machine_id}/trends"]["get"]["responses"]["200"]

    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrendsPublic"
    }
