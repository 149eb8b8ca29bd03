"""``linecare parts plan`` and ``linecare parts consumption``: the recommended safety
stock per part and region, and the parts used per month, customer and part.

Like the rest of ``linecare parts`` they read the database directly, with the plant
file for the sites' regions and the customers' names; the figures are those of
``GET /api/v1/stock-planning`` and ``GET /api/v1/parts-consumption`` (docs/spare_parts.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.parts_consumption_report import (
    BadRange,
    consumption_report,
    month_range,
    render_consumption_csv,
)
from api.routers.service_kpis import service_zone
from api.schemas.stock_planning import ConsumptionPublic
from models.plant import Plant
from models.stock_planning import DEFAULT_SERVICE_LEVEL, StockRecommendation, stock_plan
from storage import parts_usage_reader
from storage.connections import Connection


def add_parsers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = actions.add_parser("plan", help="recommended safety stock per part and region")
    plan.add_argument(
        "--service-level",
        type=float,
        default=DEFAULT_SERVICE_LEVEL,
        help="share of lead times the stock covers (default 0.95)",
    )
    plan.add_argument(
        "--history-days", type=int, default=730, help="history window (default 730 days)"
    )
    plan.add_argument("--part", help="only this part number")
    plan.add_argument("--changes", action="store_true", help="only where the stock should move")
    used = actions.add_parser("consumption", help="parts used per month, customer and part")
    used.add_argument("--from", dest="first_month", help="first month, YYYY-MM")
    used.add_argument("--to", dest="last_month", help="last month, YYYY-MM (included)")
    used.add_argument("--customer", help="only this customer id")
    used.add_argument("--part", help="only this part number")
    used.add_argument("--csv", type=Path, help="write the report as CSV to this file")


async def run_plan(conn: Connection, args: argparse.Namespace, plant: Plant) -> int:
    if not 0.5 < args.service_level < 1:
        print("linecare parts: --service-level must lie between 0.5 and 1", file=sys.stderr)
        return 2
    if not 30 <= args.history_days <= 3660:
        print("linecare parts: --history-days must lie between 30 and 3660", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    histories = await parts_usage_reader.part_histories(
        conn, since=now - timedelta(days=args.history_days), until=now
    )
    bases = await parts_usage_reader.regional_bases_now(conn, plant=plant)
    plan = [
        item
        for item in stock_plan(histories, bases, service_level=args.service_level)
        if (args.part is None or item.part_number == args.part)
        and (not args.changes or item.difference)
    ]
    if args.json:
        rows = [dataclasses.asdict(item) | {"difference": item.difference} for item in plan]
        print(json.dumps(rows, indent=2))
    else:
        print(render_plan(plan, service_level=args.service_level))
    return 0


def render_plan(plan: list[StockRecommendation], *, service_level: float) -> str:
    """One line per part and region: the rate, the demand over the lead time, the
    recommended against the current safety stock."""
    header = (
        f"{'part':20} {'region':16} {'units':>5} {'rate/yr':>7} {'lead d':>6}"
        f" {'demand':>6} {'recomm':>6} {'now':>4} {'change':>6}"
    )
    rows = [
        f"{r.part_number:20} {r.region:16} {r.installed_units:>5} {r.rate_per_unit_year:>7.3f}"
        f" {r.lead_time_days:>6} {r.lead_time_demand:>6.2f} {r.recommended_safety_stock:>6}"
        f" {r.current_safety_stock:>4} {r.difference:>+6}"
        for r in plan
    ]
    title = f"recommended safety stock at a {service_level:.1%} service level"
    return "\n".join([title, header, *rows]) if rows else "no part matches"


async def run_consumption(conn: Connection, args: argparse.Namespace, plant: Plant) -> int:
    zone = service_zone(plant)
    try:
        first, last = month_range(
            args.first_month, args.last_month, today=datetime.now(zone).date()
        )
    except BadRange as error:
        print(f"linecare parts: {error}", file=sys.stderr)
        return 2
    report = await consumption_report(
        conn,
        plant,
        zone=zone,
        first=first,
        last=last,
        customer_id=args.customer,
        part_number=args.part,
    )
    if args.csv is not None:
        try:
            args.csv.write_bytes(render_consumption_csv(report))
        except OSError as error:
            print(f"linecare parts: cannot write {args.csv}: {error}", file=sys.stderr)
            return 2
        print(f"wrote {len(report.rows)} rows to {args.csv}")
    elif args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(render_consumption(report))
    return 0


def render_consumption(report: ConsumptionPublic) -> str:
    header = f"{'month':7} {'customer':12} {'part':20} {'issued':>6} {'unused':>6} {'used':>5}"
    rows = [
        f"{r.month:7} {r.customer_id:12} {r.part_number:20} {r.issued:>6}"
        f" {r.returned_unused:>6} {r.used:>5}  {r.cost:>10.2f} {r.currency}"
        for r in report.rows
    ]
    title = (
        f"parts used {report.first_month:%Y-%m} to {report.last_month:%Y-%m} ({report.timezone})"
    )
    return "\n".join([title, header, *rows]) if rows else f"{title}: none"
