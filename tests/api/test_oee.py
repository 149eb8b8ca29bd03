"""OEE of a line and its machines per shift, the default range anchored on the line's data."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_oee, insert_samples

pytestmark = pytest.mark.integration

NIGHT = T0 - timedelta(hours=14)  # 22:00 the evening before
EARLY = T0 - timedelta(hours=6)  # 06:00, the shift running at T0


@pytest.fixture
async def line_1_results(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(conn, machine_id="l1-filler", signal="state", samples=[(T0, 6)])
        for start, name in ((NIGHT, "night"), (EARLY, "early")):
            await insert_oee(
                conn, scope="line", subject_id="line-1", shift_start=start, shift_name=name
            )
            for machine_id in ("l1-labeller", "l1-filler", "l1-capper"):
                await insert_oee(
                    conn,
                    scope="machine",
                    subject_id=machine_id,
                    shift_start=start,
                    shift_name=name,
                    availability=0.5,
                )
        await insert_oee(conn, scope="line", subject_id="line-2", shift_start=EARLY)
        # Two days before the line's newest data: outside the default 24 h.
        await insert_oee(
            conn, scope="line", subject_id="line-1", shift_start=T0 - timedelta(days=2)
        )


async def test_default_range_is_the_day_before_the_newest_data(
    client: httpx.AsyncClient, line_1_results: None
) -> None:
    response = await client.get("/api/oee", params={"line_id": "line-1"}, headers=NORDBRAU)
    assert response.status_code == 200
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-03-01T12:00:00Z", "2026-03-02T12:00:00Z")
    assert [s["shift_name"] for s in body["shifts"]] == ["early", "night"]


async def test_each_shift_has_the_line_and_its_machines_in_line_order(
    client: httpx.AsyncClient, line_1_results: None
) -> None:
    body = (await client.get("/api/oee", params={"line_id": "line-1"}, headers=SUPPORT)).json()
    early = body["shifts"][0]
    assert early["shift_start"] == "2026-03-02T06:00:00Z"
    assert early["shift_end"] == "2026-03-02T14:00:00Z"
    line = early["line"]
    assert (line["availability"], line["performance"], line["quality"]) == (0.9, 0.8, 0.95)
    assert line["oee"] == pytest.approx(0.684)
    assert [m["subject_id"] for m in early["machines"]] == ["l1-filler", "l1-capper", "l1-labeller"]
    assert {m["availability"] for m in early["machines"]} == {0.5}


async def test_the_shift_still_running_is_marked_in_progress_with_how_far_it_is_counted(
    client: httpx.AsyncClient, line_1_results: None
) -> None:
    body = (await client.get("/api/oee", params={"line_id": "line-1"}, headers=SUPPORT)).json()
    early, night = body["shifts"]
    # The line's newest data is at T0 (12:00), in the early shift (06:00-14:00).
    assert (early["in_progress"], early["counted_until"]) == (True, "2026-03-02T12:00:00Z")
    assert (night["in_progress"], night["counted_until"]) == (False, night["shift_end"])


async def test_performance_above_100_is_flagged_without_a_figure_as_in_the_reports(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(conn, machine_id="l1-filler", signal="state", samples=[(T0, 6)])
        # Stored capped at 100 %: the raw performance came out above it.
        await insert_oee(
            conn,
            scope="line",
            subject_id="line-1",
            shift_start=EARLY,
            performance=1.0,
            performance_flagged=True,
        )
        await insert_oee(conn, scope="machine", subject_id="l1-filler", shift_start=EARLY)
    body = (await client.get("/api/oee", params={"line_id": "line-1"}, headers=SUPPORT)).json()
    early = body["shifts"][0]
    line = early["line"]
    assert line["performance_flagged"] is True
    assert (line["performance"], line["oee"]) == (None, None)
    assert (line["availability"], line["quality"]) == (0.9, 0.95)
    filler = early["machines"][0]
    assert (filler["performance_flagged"], filler["performance"]) == (False, 0.8)
    assert filler["oee"] == pytest.approx(0.684)


async def test_explicit_range_selects_overlapping_shifts(
    client: httpx.AsyncClient, line_1_results: None
) -> None:
    params = {"line_id": "line-1", "since": "2026-02-28T00:00:00Z", "until": "2026-03-01T00:00:00Z"}
    body = (await client.get("/api/oee", params=params, headers=SUPPORT)).json()
    assert [s["shift_start"] for s in body["shifts"]] == ["2026-02-28T12:00:00Z"]
    assert body["shifts"][0]["machines"] == []


async def test_another_customers_line_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/oee", params={"line_id": "line-3"}, headers=NORDBRAU)
    assert response.status_code == 404
    ok = await client.get("/api/oee", params={"line_id": "line-3"}, headers=ALPENPACK)
    assert (ok.status_code, ok.json()["shifts"]) == (200, [])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"line_id": "line-1", "since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        # The end of time overflows date arithmetic: a 422, never a 500.
        {"line_id": "line-1", "until": "9999-12-31T23:59:59.999999Z"},
        {"line_id": "line-1", "since": "0001-01-01T00:00:00Z"},
    ],
)
async def test_bad_oee_parameters_answer_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/api/oee", params=params, headers=SUPPORT)
    assert response.status_code == 422
