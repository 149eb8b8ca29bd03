"""/api/tickets/{id}/costs and /api/service-costs: labour and travel recorded on a ticket,
parts from the ledger, prices from the contract, free under warranty, what each role
sees, and the cost KPIs split by warranty and billable work."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

PARTS = {"Authorization": "Bearer demo-parts"}
FIELD_1 = {"Authorization": "Bearer demo-field-1"}
FIELD_2 = {"Authorization": "Bearer demo-field-2"}
NOW = T0 + timedelta(days=1)
DAY = str(NOW.date())
WORK = {"work_date": DAY, "labour_hours": "3.5", "travel_hours": "1.5", "travel_km": "120"}


@pytest.fixture
async def costs(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool, plant: Plant
) -> httpx.AsyncClient:
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    app.state.ticket_clock = lambda: NOW
    return client


async def _ticket(
    pool: Pool,
    *,
    customer: str = "nordbrau",
    line: str = "line-1",
    machine: str = "l1-filler",
    warranty: bool = False,
    engineer: str | None = None,
) -> int:
    async with pool.connection() as conn:
        found = await insert_ticket(conn, customer_id=customer, line_id=line, machine_id=machine)
        await conn.execute(
            "UPDATE tickets SET under_warranty = %s, contract_number = %s WHERE id = %s",
            (warranty, "SC-2025-0042" if customer == "nordbrau" else "SC-2024-0107", found),
        )
        if engineer is not None:
            await conn.execute(
                "INSERT INTO ticket_assignments (ticket_id, engineer_login, dispatched_by,"
                " dispatched_at) VALUES (%s, %s, 'demo-desk', %s)",
                (found, engineer, T0),
            )
        await conn.commit()
    return found


async def _issue(client: httpx.AsyncClient, ticket: int, part: str, quantity: int) -> None:
    body = {
        "kind": "issue",
        "store_id": "central",
        "part_number": part,
        "quantity": quantity,
        "ticket_id": ticket,
    }
    answer = await client.post("/api/ledger", json=body, headers=PARTS)
    assert answer.status_code == 201, answer.text


async def _record(
    client: httpx.AsyncClient, ticket: int, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/tickets/{ticket}/costs", json=WORK | body, headers=headers)


def _money(amounts: list[dict[str, str]]) -> dict[str, Decimal]:
    return {m["currency"]: Decimal(m["amount"]) for m in amounts}


async def test_billable_work_is_priced_from_the_nordbrau_contract(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool, engineer="demo-field-1")
    answer = await _record(costs, ticket, FIELD_1)
    assert answer.status_code == 201, answer.text
    await _issue(costs, ticket, "FIL12-VALVE-SEAL", 2)
    result = (await costs.get(f"/api/tickets/{ticket}/costs", headers=DESK)).json()
    detail = result["detail"]
    # 3.5 h x 98 + (1.5 h x 65 + 120 km x 0.65) + 2 x 96.50 x 1.15
    assert _money(detail["totals"]["labour_value"]) == {"EUR": Decimal("343.00")}
    assert _money(detail["totals"]["travel_value"]) == {"EUR": Decimal("175.50")}
    assert _money(detail["totals"]["parts_cost"]) == {"EUR": Decimal("193.00")}
    assert _money(detail["totals"]["parts_value"]) == {"EUR": Decimal("221.95")}
    assert _money(result["charged"]) == {"EUR": Decimal("740.45")}
    assert result["under_warranty"] is False
    assert result["summary"] == (
        "Billable under contract SC-2025-0042: EUR 740.45 so far, for 3.5 hours of labour,"
        " 1 trip and 2 parts."
    )
    (entry,) = detail["entries"]
    assert (entry["engineer"], entry["recorded_by"]) == ("demo-field-1", "demo-field-1")
    hamburg = "Field engineer Hamburg (demo)"
    assert (entry["engineer_name"], entry["recorded_by_name"]) == (hamburg, hamburg)
    # The panel's items name the engineer by name, not by login.
    worked = [i["label"] for i in detail["items"] if i["kind"] != "parts"]
    assert worked == [f"Work by {hamburg}", f"Trip by {hamburg}"]
    assert Decimal(detail["pricing"]["labour_rate_per_hour"]) == Decimal("98")


async def test_warranty_work_is_free_to_the_customer(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool, warranty=True)
    assert (await _record(costs, ticket, DESK, engineer="demo-field-1")).status_code == 201
    await _issue(costs, ticket, "FIL12-VALVE-SEAL", 1)
    staff = (await costs.get(f"/api/tickets/{ticket}/costs", headers=SUPPORT)).json()
    assert staff["charged"] == []
    assert _money(staff["detail"]["totals"]["value"]) == {"EUR": Decimal("629.48")}
    customer = (await costs.get(f"/api/tickets/{ticket}/costs", headers=NORDBRAU)).json()
    assert customer["charged"] == []
    assert customer["summary"].startswith("No charge: the work on LC-")
    assert customer["detail"] is None


async def test_a_customer_sees_only_their_own_total_in_words(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool)
    await _record(costs, ticket, DESK, engineer="demo-field-1")
    answer = await costs.get(f"/api/tickets/{ticket}/costs", headers=NORDBRAU)
    assert answer.status_code == 200
    body = answer.json()
    assert body["detail"] is None
    assert _money(body["charged"]) == {"EUR": Decimal("518.50")}
    assert "EUR 518.50" in body["summary"]
    assert "98" not in body["summary"]  # no rates, no entries, no parts cost
    assert "demo-field-1" not in answer.text and "demo-desk" not in answer.text
    other = await costs.get(f"/api/tickets/{ticket}/costs", headers=ALPENPACK)
    assert other.status_code == 404
    assert "EUR" not in other.text
    refused = await _record(costs, ticket, NORDBRAU)
    assert refused.status_code == 403


async def test_the_flat_fee_contract_charges_the_trip_in_francs(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool, customer="alpenpack", line="line-3", machine="l3-packer")
    await _record(costs, ticket, DESK, engineer="demo-field-2", labour_hours="2")
    body = (await costs.get(f"/api/tickets/{ticket}/costs", headers=ALPENPACK)).json()
    assert _money(body["charged"]) == {"CHF": Decimal("690.00")}  # 2 h x 135 + 420


async def test_without_entries_the_service_report_time_on_site_is_the_estimate(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool)
    async with seeded_pool.connection() as conn:
        await conn.execute(
            """
            INSERT INTO service_reports (ticket_id, version, filed_by, filed_by_role, filed_at,
                symptoms, diagnosis, root_cause, actions_taken, state_before, state_after,
                failure_at, arrived_at, restored_at, remaining_issues, advice)
            VALUES (%s, 1, 'demo-field-1', 'field_engineer', %s, 's', 'd', 'r', 'a', 'b',
                'after', %s, %s, %s, '', '')
            """,
            (ticket, NOW, T0, T0 + timedelta(hours=2), T0 + timedelta(hours=4, minutes=30)),
        )
        await conn.commit()
    body = (await costs.get(f"/api/tickets/{ticket}/costs", headers=DESK)).json()
    assert body["detail"]["labour_estimated"] is True
    assert Decimal(body["detail"]["totals"]["labour_hours"]) == Decimal("2.5")
    # Nordbrau's contract charges travel by time and distance: owed, not priced at 0.
    assert body["detail"]["totals"]["trips"] == 0
    assert body["detail"]["travel_unrecorded"] is True
    assert "labour estimated from the service report" in body["summary"]
    assert "travel is still to be added" in body["summary"]


async def test_who_may_record_labour_and_travel(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    mine = await _ticket(seeded_pool, engineer="demo-field-1")
    # Another engineer's job is 404, like a missing ticket; so is a ticket that does not exist.
    assert (await _record(costs, mine, FIELD_2)).status_code == 404
    assert (await _record(costs, 999_999, DESK)).status_code == 404
    assert (await costs.get(f"/api/tickets/{mine}/costs", headers=FIELD_2)).status_code == 404
    forged = await _record(costs, mine, FIELD_1, engineer="demo-field-2")
    assert forged.status_code == 403
    assert (await _record(costs, mine, PARTS)).status_code == 403
    assert (await _record(costs, mine, SUPPORT, engineer="demo-support")).status_code == 201


async def test_the_desk_reads_who_worked_and_who_recorded_it_by_name(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool)
    await _record(costs, ticket, DESK, engineer="demo-field-1", travel_hours="0", travel_km="0")
    # A login without an account (a contractor's, or one gone) is its own name.
    answer = await _record(
        costs, ticket, DESK, engineer="ex-contractor", labour_hours="1", travel_km="0"
    )
    assert answer.status_code == 201, answer.text

    detail = answer.json()["detail"]
    assert [
        (e["engineer"], e["engineer_name"], e["recorded_by"], e["recorded_by_name"])
        for e in detail["entries"]
    ] == [
        ("demo-field-1", "Field engineer Hamburg (demo)", "demo-desk", "Service desk (demo)"),
        ("ex-contractor", "ex-contractor", "demo-desk", "Service desk (demo)"),
    ]
    assert sorted(i["label"] for i in detail["items"]) == [
        "Trip by ex-contractor",
        "Work by Field engineer Hamburg (demo)",
        "Work by ex-contractor",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labour_hours": "0", "travel_hours": "0", "travel_km": "0"}, "all are 0"),
        ({"labour_hours": "25"}, ""),
        ({"travel_km": "-3"}, ""),
        ({"work_date": str((NOW + timedelta(days=2)).date())}, "ahead"),
        ({"work_date": "2025-01-01"}, "before the ticket"),
        ({"labour_hours": "1.234"}, ""),
    ],
)
async def test_bad_entries_are_refused_with_the_reason(
    costs: httpx.AsyncClient, seeded_pool: Pool, change: dict[str, str], message: str
) -> None:
    ticket = await _ticket(seeded_pool)
    answer = await _record(costs, ticket, DESK, **change)
    assert answer.status_code == 422
    assert message in answer.text


async def test_service_costs_split_warranty_and_billable_per_customer(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    free = await _ticket(seeded_pool, warranty=True)
    paid = await _ticket(seeded_pool)
    swiss = await _ticket(seeded_pool, customer="alpenpack", line="line-3", machine="l3-packer")
    await _record(costs, free, DESK, engineer="demo-field-1")
    await _issue(costs, free, "LAB2-PALLET-SET", 1)
    await _record(costs, paid, DESK, engineer="demo-field-1", travel_hours="0", travel_km="0")
    await _record(costs, swiss, DESK, engineer="demo-field-2", labour_hours="2")
    answer = await costs.get("/api/service-costs", params={"group_by": "customer"}, headers=PARTS)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    groups = {g["key"]: g["figures"] for g in report["groups"]}
    assert set(groups) == {"nordbrau", "alpenpack"}
    nordbrau = groups["nordbrau"]
    assert nordbrau["warranty"]["tickets"] == 1
    assert _money(nordbrau["warranty"]["parts_cost"]) == {"EUR": Decimal("210.00")}
    assert nordbrau["billable"]["tickets"] == 1
    assert _money(nordbrau["billable"]["value"]) == {"EUR": Decimal("343.00")}
    assert _money(groups["alpenpack"]["billable"]["value"]) == {"CHF": Decimal("690.00")}
    total = report["total"]
    assert total["billable"]["tickets"] == 2
    assert Decimal(total["warranty"]["labour_hours"]) == Decimal("3.5")
    by_model = await costs.get(
        "/api/service-costs", params={"group_by": "line_model"}, headers=DESK
    )
    assert {g["key"] for g in by_model.json()["groups"]} == {"FL-3000", "CP-800"}


async def test_service_costs_by_month_and_range(
    costs: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    ticket = await _ticket(seeded_pool)
    await _record(costs, ticket, DESK, engineer="demo-field-1")
    months = (await costs.get("/api/service-costs", headers=DESK)).json()
    assert [g["key"] for g in months["groups"]] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert months["groups"][-1]["figures"]["billable"]["tickets"] == 1
    earlier = await costs.get(
        "/api/service-costs", params={"from": "2026-01-01", "to": "2026-02-28"}, headers=DESK
    )
    assert earlier.json()["total"]["billable"]["tickets"] == 0
    backwards = await costs.get(
        "/api/service-costs", params={"from": "2026-03-01", "to": "2026-01-01"}, headers=DESK
    )
    assert backwards.status_code == 422


async def test_customers_and_field_engineers_get_no_service_costs(
    costs: httpx.AsyncClient,
) -> None:
    for who in (NORDBRAU, ALPENPACK, FIELD_1):
        answer = await costs.get("/api/service-costs", headers=who)
        assert answer.status_code == 403
