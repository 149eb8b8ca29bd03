"""`linecare parts plan | consumption` against the test database, as from a shell."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts import stock_commands
from models.stock import MovementKind, MovementRequest
from storage.connections import Pool
from tests.api.factories import insert_ticket
from tests.parts.test_parts_cli import Linecare, linecare

__all__ = ["linecare"]  # the fixture, shared with the other CLI tests

pytestmark = pytest.mark.integration


@pytest.fixture
async def used_pool(parts_pool: Pool) -> Pool:
    """Four valve seal sets issued today on a Nordbrau filler ticket, one returned unused."""
    now = datetime.now(UTC)
    async with parts_pool.connection() as conn, conn.transaction():
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
        for kind, quantity in ((MovementKind.ISSUE, 4), (MovementKind.RETURN, 1)):
            request = MovementRequest(
                kind=kind,
                store_id="central",
                part_number="FIL12-VALVE-SEAL",
                quantity=quantity,
                ticket_id=ticket,
            )
            await stock_commands.book_in_transaction(conn, request=request, actor="t", at=now)
    return parts_pool


async def test_plan_prints_each_part_and_region(linecare: Linecare, used_pool: Pool) -> None:
    code, out, err = await linecare("parts", "plan", "--part", "FIL12-VALVE-SEAL")
    assert code == 0, err
    assert "95.0% service level" in out
    (north,) = [line for line in out.splitlines() if "north-germany" in line]
    assert north.split()[:3] == ["FIL12-VALVE-SEAL", "north-germany", "2"]
    assert any("all regions" in line for line in out.splitlines())


async def test_plan_as_json_counts_the_use(linecare: Linecare, used_pool: Pool) -> None:
    code, out, _ = await linecare(
        "parts", "--json", "plan", "--part", "FIL12-VALVE-SEAL", "--service-level", "0.99"
    )
    assert code == 0
    rows = json.loads(out)
    north = next(r for r in rows if r["region"] == "north-germany")
    # 3 sets used over the window lift the rate above the wear prior of 0.5.
    assert north["rate_per_unit_year"] > 0.5
    assert north["difference"] == north["recommended_safety_stock"] - north["current_safety_stock"]


async def test_plan_refuses_a_service_level_out_of_range(
    linecare: Linecare, used_pool: Pool
) -> None:
    code, _, err = await linecare("parts", "plan", "--service-level", "1.2")
    assert code == 2
    assert "service-level" in err


async def test_consumption_prints_and_saves_csv(
    linecare: Linecare, used_pool: Pool, tmp_path: Path
) -> None:
    code, out, err = await linecare("parts", "consumption", "--customer", "nordbrau")
    assert code == 0, err
    (row,) = [line for line in out.splitlines() if "FIL12-VALVE-SEAL" in line]
    assert row.split()[1:6] == ["nordbrau", "FIL12-VALVE-SEAL", "4", "1", "3"]
    assert "289.50 EUR" in row
    target = tmp_path / "used.csv"
    code, out, _ = await linecare("parts", "consumption", "--csv", str(target))
    assert code == 0
    assert "wrote 1 rows" in out
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[1][3] == "FIL12-VALVE-SEAL"
    assert rows[1][7] == "3"


async def test_consumption_refuses_a_bad_month(linecare: Linecare, used_pool: Pool) -> None:
    code, _, err = await linecare("parts", "consumption", "--from", "2026-3")
    assert code == 2
    assert "YYYY-MM" in err
    code, out, _ = await linecare("parts", "consumption", "--customer", "alpenpack")
    assert code == 0
    assert out.strip().endswith(": none")
