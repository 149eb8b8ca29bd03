"""``linecare models``: list, show, train, promote and retire condition models.

``train`` fits a new version on a machine's running data in a chosen stretch,
e.g. from a repair on (a new bearing is a new healthy baseline), and makes it
active unless ``--candidate`` is given; ``promote`` and ``retire`` move versions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

import psycopg

from analytics.condition_refresh_context import AnomalySettings
from analytics.condition_training import TrainingError
from analytics.model_retraining import train_machine_model
from models.condition_model import ModelStatus
from models.plant import Plant, load_plant
from settings.linecare_settings import Settings
from storage import condition_model_store
from storage.condition_model_codec import ModelDecodeError, model_to_json
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help="versioned condition models of the machines")
    actions = models.add_subparsers(dest="models_command", required=True)
    listing = actions.add_parser("list", help="every machine's model versions")
    listing.add_argument("machine", nargs="?", help="only this machine")
    show = actions.add_parser("show", help="one version's metadata and normals, as JSON")
    show.add_argument("machine")
    show.add_argument("version", type=int, nargs="?", help="default: the active one")
    train = actions.add_parser("train", help="fit a new version on running data")
    train.add_argument("machine")
    train.add_argument("--since", help="ISO 8601; e.g. the repair's end (default: first data)")
    train.add_argument("--until", help="ISO 8601 (default: now)")
    train.add_argument("--candidate", action="store_true", help="store without promoting")
    for name, text in (("promote", "make a version active"), ("retire", "retire a version")):
        action = actions.add_parser(name, help=text)
        action.add_argument("machine")
        action.add_argument("version", type=int)


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _list(conn: Connection, machine: str | None) -> None:
    rows = await condition_model_store.all_models(conn)
    print(f"{'machine':16} {'ver':>3} {'status':9} {'created':20} {'trained on':37} reason")
    for row in rows:
        if machine is not None and row.machine_id != machine:
            continue
        span = (
            f"{row.raw.get('trained_from', '?')[:16]} .. {row.raw.get('trained_until', '?')[:16]}"
        )
        created = row.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{row.machine_id:16} {row.version:>3} {row.status.value:9} {created:20} {span:37}"
            f" {row.reason}"
        )


async def _show(conn: Connection, machine: str, version: int | None) -> int:
    rows = await condition_model_store.versions(conn, machine_id=machine, scope=EVERY_CUSTOMER)
    row = next(
        (r for r in rows if (r.version == version if version else r.status is ModelStatus.ACTIVE)),
        None,
    )
    if row is None:
        print(f"linecare models: no such model of {machine}", file=sys.stderr)
        return 2
    try:
        decoded = model_to_json(row.decoded().model)
    except ModelDecodeError as error:
        print(f"linecare models: version {row.version} does not load: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"version": row.version, "status": row.status.value} | decoded, indent=2))
    return 0


async def _train(conn: Connection, plant: Plant, args: argparse.Namespace) -> int:
    try:
        placement = plant.placement_of(args.machine)
    except KeyError:
        print(f"linecare models: no machine {args.machine!r} in the plant file", file=sys.stderr)
        return 2
    until = _time(args.until) or datetime.now(UTC)
    try:
        stored = await train_machine_model(
            conn,
            plant,
            placement.machine,
            AnomalySettings(),
            since=_time(args.since),
            until=until,
            status=ModelStatus.CANDIDATE if args.candidate else ModelStatus.ACTIVE,
            reason="trained on demand",
        )
    except TrainingError as error:
        print(f"linecare models: cannot train {args.machine}: {error}", file=sys.stderr)
        return 1
    print(f"{args.machine}: version {stored.version} stored as {stored.status.value}")
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    async with await psycopg.AsyncConnection.connect(settings.dsn(), autocommit=True) as conn:
        command = args.models_command
        if command == "list":
            await _list(conn, args.machine)
            return 0
        if command == "show":
            return await _show(conn, args.machine, args.version)
        if command == "train":
            return await _train(conn, load_plant(settings.plant_file), args)
        move = (
            condition_model_store.promote if command == "promote" else condition_model_store.retire
        )
        if not await move(conn, machine_id=args.machine, version=args.version):
            print(f"linecare models: {args.machine} has no version {args.version}", file=sys.stderr)
            return 2
        print(f"{args.machine}: version {args.version} {command}d")
        return 0


def run_models(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return asyncio.run(_run(settings, args))
    except psycopg.OperationalError as error:
        print(f"linecare models: database unreachable: {error}", file=sys.stderr)
        return 1
