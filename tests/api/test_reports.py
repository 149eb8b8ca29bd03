"""The line report over HTTP: figures from the stored shifts and stops, CSV and PDF downloads,
customers confined to their own lines, and clear answers to bad requests.

Stored results are written with plain SQL (tests/api/report_factories.py). Line 1 is
in Hamburg (UTC+1 in February and March), so its early shift starts at 05:00 UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.oee import LossCategory
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_samples
from tests.api.report_factories import StoredShift, insert_downtime, insert_shift

pytestmark = pytest.mark.integration

EARLY_0228 = datetime(2026, 2, 28, 5, tzinfo=UTC)
EARLY_0301 = datetime(2026, 3, 1, 5, tzinfo=UTC)
LATE_0301 = datetime(2026, 3, 1, 13, tzinfo=UTC)
NIGHT_0301 = datetime(2026, 3, 1, 21, tzinfo=UTC)
EARLY_0302 = datetime(2026, 3, 2, 5, tzinfo=UTC)
WEEKS_AGO = datetime(2026, 2, 20, 5, tzinfo=UTC)  # before the default range
# The three shifts of 1 March, and nothing else.
MARCH_1 = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T04:59:59Z"}


def _line(
    name: str, start: datetime, running: float, good: float, reject: float, **kw: float
) -> StoredShift:
    planned = kw.pop("planned", 27000.0)
    return StoredShift(
        scope="line",
        subject_id="line-1",
        shift_name=name,
        shift_start=start,
        planned_busy_s=planned,
        running_s=running,
        ideal_output_s=running * 0.9,
        good=good,
        reject=reject,
        unknown_s=kw.pop("unknown", 0.0),
        losses={
            LossCategory.BREAKDOWNS: (planned - running, 1),
            LossCategory.SMALL_STOPS: (300.0, 10),
            LossCategory.PRODUCTION_REJECTS: (reject * 0.5, reject),
        },
    )


LINE_SHIFTS = (
    _line("early", EARLY_0228, 900, 90, 10, planned=9000, unknown=18000),
    _line("early", EARLY_0301, 24300, 950, 50),
    _line("late", LATE_0301, 18900, 900, 100),
    _line("night", NIGHT_0301, 1440, 100, 0, planned=7200, unknown=19800),
    _line("early", EARLY_0302, 21600, 800, 20),
    _line("early", WEEKS_AGO, 27000, 1000, 0),
)


def _machine(machine_id: str, start: datetime, name: str, *, ideal: float = 20000) -> StoredShift:
    return StoredShift(
        scope="machine",
        subject_id=machine_id,
        shift_name=name,
        shift_start=start,
        planned_busy_s=27000,
        running_s=25650,
        ideal_output_s=ideal,
        good=1000,
        reject=10,
    )


@pytest.fixture
async def stored_week(seeded_pool: Pool) -> None:
    """Line 1's shifts and stops around 1 March, a little of line 3, the newest data at T0."""
    async with seeded_pool.connection() as conn:
        await insert_samples(conn, machine_id="l1-filler", signal="state", samples=[(T0, 6)])
        for shift in LINE_SHIFTS:
            await insert_shift(conn, shift)
        for start, name in ((EARLY_0301, "early"), (LATE_0301, "late"), (NIGHT_0301, "night")):
            await insert_shift(conn, _machine("l1-filler", start, name))
            # Raw performance above 100 % in the late shift: a data problem.
            ideal = 26000 if name == "late" else 20000
            await insert_shift(conn, _machine("l1-capper", start, name, ideal=ideal))
        await insert_shift(conn, _machine("l3-packer", EARLY_0301, "early"))
        at = EARLY_0301.replace
        await insert_downtime(
            conn,
            machine_id="l1-filler",
            shift_start=EARLY_0301,
            started=at(hour=7),
            ended=at(hour=7, minute=40),
            category="breakdown",
            fault_code=101,
            reason="Bearing failure",
        )
        await insert_downtime(
            conn,
            machine_id="l1-capper",
            shift_start=EARLY_0301,
            started=at(hour=8),
            ended=at(hour=8, minute=1),
            category="micro_stop",
            reason="micro-stop",
        )
        await insert_downtime(
            conn,
            machine_id="l1-filler",
            shift_start=LATE_0301,
            started=at(hour=14),
            ended=at(hour=14, minute=20),
            category="setup",
            reason="changeover/setup",
        )
        # One stop across the change to the night shift: a row in each shift.
        for shift_start, lost_s, counted in ((LATE_0301, 600.0, True), (NIGHT_0301, 900.0, False)):
            await insert_downtime(
                conn,
                machine_id="l1-filler",
                shift_start=shift_start,
                started=at(hour=20, minute=50),
                ended=at(hour=21, minute=15),
                category="stop",
                reason="unplanned stop",
                lost_s=lost_s,
                counted=counted,
            )
        await insert_downtime(
            conn,
            machine_id="l3-packer",
            shift_start=EARLY_0301,
            started=at(hour=9),
            ended=at(hour=10),
            category="breakdown",
            reason="Alpenpack jam",
        )


async def _report(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str] = SUPPORT
) -> Any:
    response = await client.get("/api/reports/lines/line-1", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _sums(shifts: list[StoredShift]) -> tuple[float, float, float]:
    """Availability, performance and quality from summed times and counts."""
    running = sum(s.running_s for s in shifts)
    return (
        running / sum(s.planned_busy_s for s in shifts),
        sum(s.ideal_output_s for s in shifts) / running,
        sum(s.good for s in shifts) / sum(s.good + s.reject for s in shifts),
    )


async def test_summary_adds_up_the_shifts_of_the_range(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    body = await _report(client, {**MARCH_1, "period": "day"})
    line = body["summary"]["line"]
    march_1 = [s for s in LINE_SHIFTS if s.shift_start.date() == EARLY_0301.date()]
    availability, performance, quality = _sums(march_1)
    figures = line["figures"]
    assert line["name"] == "Filling line 1"
    assert figures["availability"] == pytest.approx(availability)
    assert figures["availability"] != pytest.approx((0.9 + 0.7 + 0.2) / 3)  # not averaged
    assert figures["performance"] == pytest.approx(performance)
    assert figures["quality"] == pytest.approx(quality)
    assert figures["oee"] == pytest.approx(availability * performance * quality)
    assert figures["planned_busy_s"] == pytest.approx(61200)
    assert figures["unknown_s"] == pytest.approx(19800)
    losses = {loss["category"]: loss for loss in line["losses"]}
    assert list(losses) == [c.value for c in LossCategory]
    assert losses["breakdowns"]["seconds"] == pytest.approx(61200 - 44640)
    assert losses["breakdowns"]["count"] == 3
    assert losses["production_rejects"]["count"] == 150
    assert losses["reduced_speed"]["seconds"] == 0


async def test_machines_in_line_order_with_a_data_problem_shown_as_such(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    body = await _report(client, MARCH_1)
    machines = body["summary"]["machines"]
    assert [m["subject_id"] for m in machines] == ["l1-filler", "l1-capper"]
    filler, capper = (m["figures"] for m in machines)
    assert filler["availability"] == pytest.approx(0.95)
    assert filler["performance"] == pytest.approx(60000 / 76950)
    assert not filler["performance_flagged"]
    assert capper["performance_flagged"]
    assert capper["performance"] is None and capper["oee"] is None
    assert capper["availability"] == pytest.approx(0.95)


async def test_trend_groups_by_the_period_asked_for(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    by_shift = await _report(client, {**MARCH_1, "period": "shift"})
    assert [p["label"] for p in by_shift["trend"]] == [
        "2026-03-01 early",
        "2026-03-01 late",
        "2026-03-01 night",
    ]
    early = by_shift["trend"][0]["figures"]
    assert early["availability"] == pytest.approx(0.9)
    by_day = await _report(client, {**MARCH_1, "period": "day"})
    [day] = by_day["trend"]
    # The night shift starting at 22:00 on 1 March belongs to 1 March.
    assert day["label"] == "2026-03-01"
    assert day["figures"]["availability"] == pytest.approx(44640 / 61200)


async def test_default_range_is_the_week_before_the_newest_data(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    body = await _report(client, {})
    assert (body["since"], body["until"]) == ("2026-02-23T12:00:00Z", "2026-03-02T12:00:00Z")
    assert body["period"] == "day"
    assert [p["label"] for p in body["trend"]] == [
        "2026-02-28",
        "2026-03-01",
        "2026-03-02",
    ]


async def test_shift_comparison_sums_times_of_all_shifts_of_a_name(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    body = await _report(client, {})
    rows = {row["shift_name"]: row for row in body["shift_comparison"]}
    assert list(rows) == ["early", "late", "night"]
    early_shifts = [
        s for s in LINE_SHIFTS if s.shift_name == "early" and s.shift_start != WEEKS_AGO
    ]
    availability, performance, quality = _sums(early_shifts)
    early = rows["early"]
    assert early["shift_count"] == 3
    assert early["figures"]["availability"] == pytest.approx(availability)
    # Averaging the ratios would weigh the short 28 February shift like a full one.
    assert early["figures"]["availability"] != pytest.approx((0.1 + 0.9 + 0.8) / 3)
    assert early["figures"]["oee"] == pytest.approx(availability * performance * quality)
    assert rows["night"]["figures"]["availability"] == pytest.approx(0.2)


async def test_pareto_and_downtime_table_list_the_lines_stops(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    body = await _report(client, MARCH_1)
    pareto = [(b["reason"], b["fault_code"], b["seconds"], b["count"]) for b in body["pareto"]]
    assert pareto == [
        ("Bearing failure", 101, 2400, 1),
        ("unplanned stop", None, 1500, 1),
        ("changeover/setup", None, 1200, 1),
        ("micro-stop", None, 60, 1),
    ]
    assert body["pareto"][-1]["cumulative_share"] == pytest.approx(1.0)
    assert body["pareto"][0]["share"] == pytest.approx(2400 / 5160)
    stops = [
        (d["machine_name"], d["start"], d["duration_s"], d["lost_s"], d["category"])
        for d in body["downtimes"]
    ]
    assert stops == [
        ("Filler", "2026-03-01T07:00:00Z", 2400, 2400, "breakdown"),
        ("Capper", "2026-03-01T08:00:00Z", 60, 60, "micro_stop"),
        ("Filler", "2026-03-01T14:00:00Z", 1200, 1200, "setup"),
        ("Filler", "2026-03-01T20:50:00Z", 1500, 1500, "stop"),
    ]
    assert body["downtimes_truncated"] is False


async def test_reliability_per_machine(client: httpx.AsyncClient, stored_week: None) -> None:
    body = await _report(client, MARCH_1)
    rows = {r["machine_id"]: r for r in body["reliability"]}
    filler = rows["l1-filler"]
    assert (filler["machine_name"], filler["failures"]) == ("Filler", 1)
    assert filler["mttr_s"] == pytest.approx(2400)
    assert filler["mtbf_s"] == pytest.approx(filler["running_s"])
    assert "l3-packer" not in rows
    if "l1-capper" in rows:
        assert rows["l1-capper"]["failures"] == 0
        assert rows["l1-capper"]["mtbf_s"] is None


def _csv_sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


async def test_csv_download_holds_the_reports_rows(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    response = await client.get(
        "/api/reports/lines/line-1/report.csv", params=MARCH_1, headers=NORDBRAU
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="oee-report-line-1-2026-03-01-to-2026-03-02.csv"'
    )
    sections = _csv_sections(response.content.decode("utf-8-sig"))
    summary = sections["Summary"]
    assert [row[:2] for row in summary[1:]] == [
        ["line", "Filling line 1"],
        ["machine", "Filler"],
        ["machine", "Capper"],
    ]
    assert summary[1][2] == f"{44640 / 61200 * 100:.1f}"
    assert summary[3][3] == "" and summary[3][6].startswith("performance above 100 %")
    assert [row[0] for row in sections["Trend by day"][1:]] == ["2026-03-01"]
    assert [row[0] for row in sections["Downtime Pareto"][1:]] == [
        "Bearing failure",
        "unplanned stop",
        "changeover/setup",
        "micro-stop",
    ]
    downtimes = sections["Downtimes"][1:]
    assert [(row[0], row[1]) for row in downtimes] == [
        ("Filler", "2026-03-01T08:00:00+01:00"),
        ("Capper", "2026-03-01T09:00:00+01:00"),
        ("Filler", "2026-03-01T15:00:00+01:00"),
        ("Filler", "2026-03-01T21:50:00+01:00"),
    ]


async def test_pdf_download_is_a_presentable_pdf(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    response = await client.get(
        "/api/reports/lines/line-1/report.pdf", params=MARCH_1, headers=NORDBRAU
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="oee-report-line-1-2026-03-01-to-2026-03-02.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 5_000


@pytest.mark.parametrize("suffix", ["", "/report.csv", "/report.pdf"])
async def test_customers_get_their_own_lines_and_404_for_others(
    client: httpx.AsyncClient, stored_week: None, suffix: str
) -> None:
    own = await client.get(f"/api/reports/lines/line-1{suffix}", headers=NORDBRAU)
    foreign = await client.get(f"/api/reports/lines/line-3{suffix}", headers=NORDBRAU)
    missing = await client.get(f"/api/reports/lines/line-99{suffix}", headers=NORDBRAU)
    assert own.status_code == 200
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == "line 'line-3' not found"
    assert missing.json()["detail"] == "line 'line-99' not found"
    theirs = await client.get(f"/api/reports/lines/line-3{suffix}", headers=ALPENPACK)
    assert theirs.status_code == 200


async def test_another_customers_stops_never_show(
    client: httpx.AsyncClient, stored_week: None
) -> None:
    nordbrau = await _report(client, MARCH_1, headers=NORDBRAU)
    assert "Alpenpack jam" not in [b["reason"] for b in nordbrau["pareto"]]
    response = await client.get("/api/reports/lines/line-3", params=MARCH_1, headers=ALPENPACK)
    alpenpack = response.json()
    assert [b["reason"] for b in alpenpack["pareto"]] == ["Alpenpack jam"]
    assert [m["subject_id"] for m in alpenpack["summary"]["machines"]] == ["l3-packer"]
    assert alpenpack["customer"]["name"] == "Alpenpack AG"


@pytest.mark.parametrize("suffix", ["", "/report.csv", "/report.pdf"])
async def test_without_a_token_answers_401(client: httpx.AsyncClient, suffix: str) -> None:
    response = await client.get(f"/api/reports/lines/line-1{suffix}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "must be before"),
        ({"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "must be before"),
        (
            {"since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z", "period": "shift"},
            "at most 31 days",
        ),
        (
            {"since": "2024-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z", "period": "month"},
            "at most 366 days",
        ),
        ({"until": "1900-01-01T00:00:00Z"}, "between 1970 and 2200"),
        ({"until": "9999-12-31T23:59:59.999999Z"}, "between 1970 and 2200"),
        ({"since": "yesterday"}, "datetime"),
        ({"period": "hour"}, "shift"),
    ],
)
async def test_bad_ranges_answer_422_with_a_message(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    for suffix in ("", "/report.csv", "/report.pdf"):
        response = await client.get(
            f"/api/reports/lines/line-1{suffix}", params=params, headers=SUPPORT
        )
        assert response.status_code == 422, response.text
        assert message in response.text


async def test_a_line_without_any_data_gets_an_empty_report(client: httpx.AsyncClient) -> None:
    body = await _report(client, {"period": "week"})
    until = datetime.fromisoformat(body["until"])
    assert until - datetime.fromisoformat(body["since"]) == timedelta(days=7)
    assert body["summary"] == {"line": None, "machines": []}
    assert body["trend"] == body["pareto"] == body["downtimes"] == []
    pdf = await client.get("/api/reports/lines/line-1/report.pdf", headers=SUPPORT)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_report_page_and_its_assets_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/report", params={"line": "line-1"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/report.js" in page.text
    for path, kind in (("/static/report.js", "javascript"), ("/static/report.css", "text/css")):
        asset = await client.get(path)
        assert asset.status_code == 200
        assert kind in asset.headers["content-type"]
    console = await client.get("/static/console.js")
    assert "/report?line=" in console.text
