"""/api/stock-planning and /api/parts-consumption: the recommendation from the installed
base and the parts used on tickets, consumption per month, customer and part as JSON and
CSV, and who may read them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.parts_demo import seed_demo_parts
from models.parts import PartClass
from models.plant import Plant
from models.stock_planning import PartHistory, poisson_quantile, replacement_rate
from models.users import Role
from storage.connections import Pool
from storage.user_store import upsert_user
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

PARTS = {"Authorization": "Bearer demo-parts"}
ADMIN = {"Authorization": "Bearer demo-admin"}
NOW = T0 + timedelta(days=1)


@pytest.fixture
async def stock(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool, plant: Plant
) -> httpx.AsyncClient:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
        await upsert_user(
            conn,
            login="admin",
            display_name="Administrator",
            role=Role.ADMIN,
            customer_id=None,
            token="demo-admin",
        )
        await conn.commit()
    app.state.ticket_clock = lambda: NOW
    return client


async def _ticket(pool: Pool, customer: str, line: str, machine: str) -> int:
    async with pool.connection() as conn:
        found = await insert_ticket(conn, customer_id=customer, line_id=line, machine_id=machine)
        await conn.commit()
    return found


async def _book(
    client: httpx.AsyncClient, kind: str, part: str, quantity: int, **more: Any
) -> None:
    body = {"kind": kind, "store_id": "central", "part_number": part, "quantity": quantity}
    answer = await client.post("/api/ledger", json=body | more, headers=PARTS)
    assert answer.status_code == 201, answer.text


@pytest.fixture
async def used(stock: httpx.AsyncClient, seeded_pool: Pool) -> httpx.AsyncClient:
    """Nordbrau: 3 valve seal sets issued on a filler ticket, one returned unused and the
    failed one returned faulty (2 used). Alpenpack: 2 belts on the packer."""
    filler = await _ticket(seeded_pool, "nordbrau", "line-1", "l1-filler")
    packer = await _ticket(seeded_pool, "alpenpack", "line-3", "l3-packer")
    await _book(stock, "issue", "FIL12-VALVE-SEAL", 3, ticket_id=filler)
    await _book(stock, "return", "FIL12-VALVE-SEAL", 1, ticket_id=filler)
    await _book(stock, "return", "FIL12-VALVE-SEAL", 1, ticket_id=filler, faulty=True)
    await _book(stock, "issue", "BELT-HTD-8M", 2, ticket_id=packer)
    return stock


def _row(plan: dict[str, Any], part: str, region: str) -> dict[str, Any]:
    (row,) = [
        r for r in plan["recommendations"] if (r["part_number"], r["region"]) == (part, region)
    ]
    return dict(row)


async def test_the_plan_counts_use_net_of_unused_returns_and_installed_units_per_region(
    used: httpx.AsyncClient,
) -> None:
    answer = await used.get("/api/stock-planning", headers=PARTS)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["service_level"] == 0.95
    seals = _row(plan, "FIL12-VALVE-SEAL", "north-germany")
    assert seals["region_name"] == "North Germany"
    # Both Hamburg fillers carry a seal set; the faulty return is the old set coming back.
    assert seals["installed_units"] == 2
    assert seals["units_used"] == 2
    assert seals["part_class"] == "wear"
    history = PartHistory(
        "FIL12-VALVE-SEAL", PartClass.WEAR, 10, seals["units_used"], seals["unit_years"]
    )
    assert seals["rate_per_unit_year"] == pytest.approx(replacement_rate(history), abs=1e-3)
    demand = seals["rate_per_unit_year"] * 2 * 10 / 365
    assert seals["lead_time_demand"] == pytest.approx(demand, abs=1e-3)
    assert seals["recommended_safety_stock"] == poisson_quantile(demand, 0.95)
    assert seals["difference"] == seals["recommended_safety_stock"] - seals["current_safety_stock"]
    # The pooled figure stands against the central store's safety stock (8 seal sets).
    pooled = _row(plan, "FIL12-VALVE-SEAL", "all regions")
    assert pooled["pooled"] is True
    assert pooled["current_safety_stock"] == 8
    assert pooled["installed_units"] == 2


async def test_a_critical_part_keeps_one_unit_where_it_is_installed(
    stock: httpx.AsyncClient,
) -> None:
    plan = (await stock.get("/api/stock-planning", headers=PARTS)).json()
    gripper = _row(plan, "PK9-GRIPPER", "switzerland")
    assert gripper["installed_units"] == 1
    assert gripper["lead_time_demand"] < 0.05
    assert gripper["recommended_safety_stock"] == 1
    assert gripper["current_safety_stock"] == 1


async def test_more_history_used_raises_the_rate_and_a_higher_level_the_stock(
    used: httpx.AsyncClient,
) -> None:
    plan = (await used.get("/api/stock-planning", headers=PARTS)).json()
    belts = _row(plan, "BELT-HTD-8M", "switzerland")
    assert belts["units_used"] == 2
    assert belts["rate_per_unit_year"] > 0.5  # the wear prior, pushed up by two belts
    strict = (
        await used.get("/api/stock-planning", params={"service_level": 0.999}, headers=PARTS)
    ).json()
    assert (
        _row(strict, "BELT-HTD-8M", "switzerland")["recommended_safety_stock"]
        > belts["recommended_safety_stock"]
    )


async def test_a_service_level_out_of_range_is_a_422(stock: httpx.AsyncClient) -> None:
    for level in ("1", "0.3", "abc"):
        answer = await stock.get(
            "/api/stock-planning", params={"service_level": level}, headers=PARTS
        )
        assert answer.status_code == 422, level


async def test_consumption_per_month_customer_and_part(used: httpx.AsyncClient) -> None:
    answer = await used.get("/api/parts-consumption", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["timezone"] == "Europe/Berlin"
    assert report["last_month"] == "2026-03-01"
    assert report["first_month"] == "2025-04-01"
    rows = {(r["customer_id"], r["part_number"]): r for r in report["rows"]}
    assert set(rows) == {("nordbrau", "FIL12-VALVE-SEAL"), ("alpenpack", "BELT-HTD-8M")}
    seals = rows["nordbrau", "FIL12-VALVE-SEAL"]
    assert seals["month"] == "2026-03"
    assert (seals["issued"], seals["returned_unused"], seals["used"]) == (3, 1, 2)
    assert Decimal(seals["cost"]) == Decimal("193.00")
    assert seals["currency"] == "EUR"
    assert seals["customer_name"] == "Nordbrau GmbH"
    assert seals["tickets"] == 1


async def test_consumption_filters_and_months(used: httpx.AsyncClient) -> None:
    only = await used.get(
        "/api/parts-consumption", params={"customer_id": "alpenpack"}, headers=PARTS
    )
    assert [r["part_number"] for r in only.json()["rows"]] == ["BELT-HTD-8M"]
    part = await used.get(
        "/api/parts-consumption", params={"part_number": "FIL12-VALVE-SEAL"}, headers=PARTS
    )
    assert [r["customer_id"] for r in part.json()["rows"]] == ["nordbrau"]
    before = await used.get(
        "/api/parts-consumption", params={"from": "2025-01", "to": "2026-02"}, headers=PARTS
    )
    assert before.json()["rows"] == []
    for params in ({"from": "2026-13"}, {"to": "March"}, {"from": "2026-03", "to": "2026-01"}):
        answer = await used.get("/api/parts-consumption", params=params, headers=PARTS)
        assert answer.status_code == 422, params


async def test_consumption_as_csv(used: httpx.AsyncClient) -> None:
    answer = await used.get("/api/parts-consumption", params={"format": "csv"}, headers=PARTS)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "parts-consumption-2025-04-to-2026-03.csv" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Month", "Customer ID", "Customer", "Part number"]
    seals = next(r for r in rows[1:] if r[3] == "FIL12-VALVE-SEAL")
    assert seals[5:] == ["3", "1", "2", "1", "96.50", "193.00", "EUR"]


@pytest.mark.parametrize("path", ["/api/stock-planning", "/api/parts-consumption"])
async def test_only_the_parts_manager_and_administrators_read_the_plan(
    used: httpx.AsyncClient, path: str
) -> None:
    for who in (NORDBRAU, ALPENPACK, DESK, SUPPORT, {"Authorization": "Bearer demo-field-1"}):
        answer = await used.get(path, headers=who)
        assert answer.status_code == 403, who
        assert "FIL12" not in answer.text
    assert (await used.get(path)).status_code == 401
    assert (await used.get(path, headers=ADMIN)).status_code == 200
