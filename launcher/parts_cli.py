"""``linecare parts``: import the catalogue from CSV, show stock, trace a serialized unit,
plan safety stock, report consumption.

These talk to the database directly (like ``linecare users``): they are the parts
manager's tools on the server. ``import`` checks every row first and imports
nothing when any row is bad, listing each with its line number. Exit codes: 0
done, 2 bad input or nothing found, 1 database unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

import psycopg

from alerts import part_replacement
from alerts.parts_catalogue_import import read_catalogue
from launcher import parts_planning_cli
from models.parts import Part
from models.plant import load_plant
from models.stock import SerialTrace, StockLevel
from settings.linecare_settings import Settings
from storage import parts_store, stock_store
from storage.connections import Connection

_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parser(commands: _Subparsers) -> None:
    parts = commands.add_parser(
        "parts",
        help="spare parts: import the catalogue, show stock, trace a serial, plan stock",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parts.add_argument(
        "--json", action="store_true", help="print JSON (stock, trace, plan, consumption)"
    )
    actions = parts.add_subparsers(dest="parts_command", required=True)
    imports = actions.add_parser("import", help="add or update parts from a catalogue CSV")
    imports.add_argument(
        "file", type=Path, help="CSV with the columns of config/parts_catalogue.csv"
    )
    imports.add_argument("--check", action="store_true", help="only check the file")
    stock = actions.add_parser("stock", help="stock per store and part, low stock flagged")
    stock.add_argument("--store", help="only this store")
    stock.add_argument("--part", help="only this part number")
    stock.add_argument("--low", action="store_true", help="only levels below safety stock")
    trace = actions.add_parser("trace", help="a serialized unit's whole life")
    trace.add_argument("part_number")
    trace.add_argument("serial")
    parts_planning_cli.add_parsers(actions)


def run_parts(args: argparse.Namespace, settings: Settings) -> int:
    if args.parts_command == "import":
        return _import(args, settings)
    try:
        return asyncio.run(_read(args, settings))
    except psycopg.OperationalError as error:
        print(f"linecare parts: database unreachable: {error}", file=sys.stderr)
        return 1


def _import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"linecare parts: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    result = read_catalogue(text)
    if not result.ok:
        for bad in result.errors:
            print(f"{args.file}:{bad.line}: {bad.message}", file=sys.stderr)
        print(f"linecare parts: {len(result.errors)} bad rows, nothing imported", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.file}: {len(result.rows)} parts, all rows valid")
        return 0
    try:
        count = asyncio.run(_save(settings, result.rows))
    except psycopg.OperationalError as error:
        print(f"linecare parts: database unreachable: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} parts from {args.file}")
    return 0


async def _save(settings: Settings, parts: tuple[Part, ...]) -> int:
    async with await psycopg.AsyncConnection.connect(settings.dsn(), autocommit=True) as conn:
        return await parts_store.import_catalogue(
            conn, parts=parts, by=f"cli:{getpass.getuser()}", at=datetime.now(UTC)
        )


async def _read(args: argparse.Namespace, settings: Settings) -> int:
    async with await psycopg.AsyncConnection.connect(settings.dsn(), autocommit=True) as conn:
        if args.parts_command == "stock":
            return await _stock(conn, args)
        if args.parts_command == "plan":
            return await parts_planning_cli.run_plan(conn, args, load_plant(settings.plant_file))
        if args.parts_command == "consumption":
            plant = load_plant(settings.plant_file)
            return await parts_planning_cli.run_consumption(conn, args, plant)
        return await _trace(conn, args)


async def _stock(conn: Connection, args: argparse.Namespace) -> int:
    levels = await stock_store.stock_levels(conn, store_id=args.store, part_number=args.part)
    if args.low:
        levels = [level for level in levels if level.below_safety_stock]
    if args.json:
        print(json.dumps([_level_json(level) for level in levels], indent=2))
    else:
        print(render_stock(levels))
    return 0


def _level_json(level: StockLevel) -> dict[str, object]:
    return dataclasses.asdict(level) | {
        "available": level.available,
        "below_safety_stock": level.below_safety_stock,
    }


def render_stock(levels: list[StockLevel]) -> str:
    """A table of levels; LOW marks those below their safety stock."""
    header = (
        f"{'store':20} {'part':20} {'on hand':>7} {'reserved':>8} {'avail':>5}"
        f" {'faulty':>6} {'safety':>6} {'reorder':>7}"
    )
    rows = [
        f"{lv.store_id:20} {lv.part_number:20} {lv.on_hand:>7} {lv.reserved:>8}"
        f" {lv.available:>5} {lv.faulty:>6} {lv.safety_stock:>6} {lv.reorder_point:>7}"
        + ("  LOW" if lv.below_safety_stock else "")
        for lv in levels
    ]
    return "\n".join([header, *rows]) if rows else "no stock levels match"


async def _trace(conn: Connection, args: argparse.Namespace) -> int:
    trace = await part_replacement.serial_trace(
        conn, part_number=args.part_number, serial=args.serial
    )
    if trace is None:
        print(
            f"linecare parts: no unit {args.serial} of {args.part_number} is known",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps(dataclasses.asdict(trace), indent=2, default=str))
    else:
        print(render_trace(trace))
    return 0


def render_trace(trace: SerialTrace) -> str:
    """The unit's place now, then one line per step of its life."""
    status = trace.status
    place = status.store_id or (
        f"{status.machine_id} at {status.position}" if status.machine_id else ""
    )
    ticket = f" (ticket {status.ticket_id})" if status.ticket_id else ""
    lines = [f"{status.part_number} serial {status.serial}: {status.state} {place}{ticket}"]
    for event in trace.events:
        where = event.store_id or (
            f"{event.machine_id} at {event.position}" if event.machine_id else ""
        )
        parts = [
            event.at.isoformat(timespec="minutes"),
            f"{event.kind:11}",
            where,
            f"ticket {event.ticket_id}" if event.ticket_id else "",
            f"by {event.actor}" if event.actor else "",
            f"- {event.reason}" if event.reason else "",
        ]
        lines.append("  " + " ".join(part for part in parts if part))
    return "\n".join(lines)
