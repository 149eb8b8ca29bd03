"""Live values and trends of a machine's signals, from telemetry written with plain SQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_samples, insert_series

pytestmark = pytest.mark.integration


async def test_live_values_show_every_signal_with_its_newest_sample(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn,
            machine_id="l1-filler",
            signal="bearing_temp",
            samples=[(T0 - timedelta(seconds=2), 61.0), (T0, 62.5)],
        )
        await insert_samples(
            conn, machine_id="l1-filler", signal="speed", samples=[(T0, 118.0)], quality=1
        )
        await insert_samples(conn, machine_id="l1-capper", signal="speed", samples=[(T0, 5.0)])
    response = await client.get("/api/machines/l1-filler/live", headers=NORDBRAU)
    assert response.status_code == 200
    body = response.json()
    values = {v["signal"]: v for v in body["values"]}
    assert (body["machine_name"], body["line_id"]) == ("Filler", "line-1")
    assert list(values)[:3] == ["state", "fault_code", "good_count"]
    assert values["bearing_temp"] == {
        "signal": "bearing_temp",
        "kind": "condition",
        "unit": "°C",
        "value": 62.5,
        "value_name": None,
        "time": "2026-03-02T12:00:00Z",
        "quality": "good",
    }
    assert (values["speed"]["value"], values["speed"]["quality"]) == (118.0, "uncertain")
    assert values["motor_current"]["value"] is None


async def test_live_values_name_the_state_product_and_fault(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        for signal, value in (
            ("state", 11),
            ("fault_code", 201),
            ("product", 1),
            ("good_count", 1_607_616_072),
        ):
            await insert_samples(conn, machine_id="l1-filler", signal=signal, samples=[(T0, value)])
    body = (await client.get("/api/machines/l1-filler/live", headers=SUPPORT)).json()
    named = {v["signal"]: (v["value"], v["value_name"]) for v in body["values"]}
    assert named["state"] == (11, "held")
    assert named["fault_code"] == (201, "Main drive bearing failure")
    assert named["product"] == (1, "Bottle 0.5 l")
    assert named["good_count"] == (1_607_616_072, None)
    assert named["speed"] == (None, None)


async def test_live_values_leave_codes_the_plant_file_lacks_unnamed(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        for signal, value in (("state", 6), ("fault_code", 0), ("product", 99)):
            await insert_samples(conn, machine_id="l1-capper", signal=signal, samples=[(T0, value)])
        await insert_samples(
            conn, machine_id="l1-labeller", signal="fault_code", samples=[(T0, 777)]
        )
    capper = (await client.get("/api/machines/l1-capper/live", headers=SUPPORT)).json()
    labeller = (await client.get("/api/machines/l1-labeller/live", headers=SUPPORT)).json()
    named = {v["signal"]: v["value_name"] for v in capper["values"]}
    assert (named["state"], named["fault_code"], named["product"]) == (
        "execute",
        "no fault",
        None,
    )
    assert next(v for v in labeller["values"] if v["signal"] == "fault_code")["value_name"] is None


async def test_live_values_of_another_customers_machine_are_404(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/machines/l3-packer/live", headers=NORDBRAU)).status_code == 404
    assert (await client.get("/api/machines/l3-packer/live", headers=ALPENPACK)).status_code == 200
    assert (await client.get("/api/machines/nope/live", headers=SUPPORT)).status_code == 404


async def test_default_trend_is_the_last_hour_of_the_series_data(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    # Two hours of one sample a minute, ending at T0 (plant time, not the wall clock).
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="bearing_temp",
            start=T0 - timedelta(minutes=120),
            step=timedelta(minutes=1),
            values=[50.0 + i for i in range(121)],
        )
    response = await client.get(
        "/api/machines/l1-filler/trend", params={"signal": "bearing_temp"}, headers=SUPPORT
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z")
    assert body["bucket_s"] is None
    assert body["unit"] == "°C"
    assert len(body["points"]) == 61
    assert body["points"][0] == {
        "time": "2026-03-02T11:00:00Z",
        "value": 110.0,
        "min": 110.0,
        "max": 110.0,
        "samples": 1,
    }
    assert body["points"][-1]["value"] == 170.0


async def test_long_trend_reads_the_one_minute_rollup(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    # Six hours, two samples a minute: 10 and 20, so each minute averages 15.
    start = T0 - timedelta(hours=6)
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l2-capper",
            signal="motor_current",
            start=start,
            step=timedelta(seconds=30),
            values=[10.0 if i % 2 == 0 else 20.0 for i in range(6 * 120)],
        )
    response = await client.get(
        "/api/machines/l2-capper/trend",
        params={"signal": "motor_current", "since": start.isoformat(), "until": T0.isoformat()},
        headers=SUPPORT,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["bucket_s"] == 60
    assert len(body["points"]) == 360
    assert {(p["value"], p["min"], p["max"], p["samples"]) for p in body["points"]} == {
        (15.0, 10.0, 20.0, 2)
    }


async def test_very_long_trend_widens_the_buckets(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l2-capper",
            signal="speed",
            start=T0 - timedelta(days=7),
            step=timedelta(hours=1),
            values=[100.0] * (7 * 24),
        )
    response = await client.get(
        "/api/machines/l2-capper/trend",
        params={"signal": "speed", "since": (T0 - timedelta(days=7)).isoformat()},
        headers=SUPPORT,
    )
    body = response.json()
    assert body["bucket_s"] == 420  # 7 days in at most 1500 buckets of whole minutes
    assert len(body["points"]) == 7 * 24


async def test_dense_short_trend_is_bucketed_on_the_fly(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    # Half an hour at one sample a second is more than a chart needs: two-second buckets.
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="vibration_rms",
            start=T0 - timedelta(minutes=30),
            step=timedelta(seconds=1),
            values=[2.0 + (i % 2) for i in range(1800)],
        )
    response = await client.get(
        "/api/machines/l1-filler/trend",
        params={"signal": "vibration_rms", "since": (T0 - timedelta(minutes=30)).isoformat()},
        headers=SUPPORT,
    )
    body = response.json()
    assert body["bucket_s"] == 2
    assert len(body["points"]) == 900
    assert {(p["value"], p["min"], p["max"], p["samples"]) for p in body["points"]} == {
        (2.5, 2.0, 3.0, 2)
    }


async def test_naive_timestamps_are_taken_as_utc(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/machines/l1-filler/trend",
        params={"signal": "speed", "since": "2026-03-02T10:00:00", "until": "2026-03-02T11:00"},
        headers=SUPPORT,
    )
    assert response.status_code == 200
    assert response.json()["since"] == "2026-03-02T10:00:00Z"


@pytest.mark.parametrize(
    "params",
    [
        {"signal": "speed", "since": "2026-03-02T12:00:00Z", "until": "2026-03-02T11:00:00Z"},
        {"signal": "speed", "since": "2026-03-02T12:00:00Z", "until": "2026-03-02T12:00:00Z"},
        {"signal": "speed", "since": "yesterday"},
        {"signal": "speed", "until": "0001-01-01T00:10:00Z"},
        {"signal": ""},
        {},
    ],
)
async def test_bad_trend_parameters_answer_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/api/machines/l1-filler/trend", params=params, headers=SUPPORT)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_unknown_signal_answers_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/machines/l1-filler/trend", params={"signal": "warp_drive"}, headers=SUPPORT
    )
    assert response.status_code == 404
    assert "warp_drive" in response.json()["detail"]


async def test_trend_of_another_customers_machine_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/machines/l3-sealer/trend", params={"signal": "speed"}, headers=NORDBRAU
    )
    assert response.status_code == 404
