"""``linecare knowledge``: import the fault-code manual (YAML or CSV) and search it.

Like ``linecare parts`` these talk to the database directly: support's tools on
the server. ``import`` checks every entry first and imports nothing when any is
bad, listing each. An entry is matched by its ``key``: a new key is a new entry,
a changed text a new version, an unchanged one nothing. An entry edited in
LineCare since (its newest version not from a manual) is kept as it is and
named, so a re-import never overwrites support's work. Imported entries are
published at once (the file is support's reviewed manual) unless ``--draft``.
Exit codes: 0 done, 2 bad input or nothing found, 1 database unreachable.

The demo calls ``seed_demo_knowledge`` with ``config/knowledge_base.yaml``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import io
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import psycopg
import yaml

from models.knowledge import (
    STAFF_VIEWER,
    Audience,
    EntryContent,
    EntryKind,
    EntryStatus,
    KnowledgeQuery,
    content_problem,
    status_after_edit,
)
from settings.linecare_settings import Settings
from storage import knowledge_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

DEMO_MANUAL_FILE = "knowledge_base.yaml"
DEMO_AUTHOR = "demo-support"
DEMO_AUTHOR_NAME = "Support engineer (demo)"
_LIST_FIELDS = ("machine_models", "fault_codes", "signals", "parts")
_TEXT_FIELDS = ("title", "symptoms", "causes", "checks", "remedies", "body")
_FIELDS = frozenset({"key", "kind", "audience", *_LIST_FIELDS, *_TEXT_FIELDS})
# The change notes of versions a manual wrote: any other newest version was edited in LineCare.
_IMPORTED = "imported from the manual"
_UPDATED = "updated from the manual"
_FROM_MANUAL = frozenset({_IMPORTED, _UPDATED})


@dataclass(frozen=True, slots=True)
class ManualEntry:
    key: str
    content: EntryContent


@dataclass(frozen=True, slots=True)
class ManualProblem:
    where: str  # "entry 3" (YAML) or "line 4" (CSV)
    message: str


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0  # retired entries are left alone
    kept: tuple[str, ...] = ()  # keys of entries edited in LineCare since, left alone


def read_manual(text: str, *, csv_format: bool) -> tuple[list[ManualEntry], list[ManualProblem]]:
    """The manual's entries and every problem found; import only when there are none.

    YAML: ``entries:`` a list of mappings. CSV: a header with the field names; lists
    are separated by ``;``.
    """
    try:
        raw = _csv_rows(text) if csv_format else _yaml_rows(text)
    except (yaml.YAMLError, csv.Error, ValueError) as error:
        return [], [ManualProblem("file", f"cannot be read: {error}")]
    entries: list[ManualEntry] = []
    problems: list[ManualProblem] = []
    seen: set[str] = set()
    for where, row in raw:
        try:
            entry = _entry(row)
        except (ValueError, TypeError) as error:
            problems.append(ManualProblem(where, str(error)))
            continue
        problem = content_problem(entry.content)
        if problem is None and entry.key in seen:
            problem = f"the key {entry.key!r} appears twice"
        if problem is not None:
            problems.append(ManualProblem(where, problem))
            continue
        seen.add(entry.key)
        entries.append(entry)
    return entries, problems


def _yaml_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    document = yaml.safe_load(text)
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise ValueError("the file needs a list under 'entries:'")
    return [(f"entry {i}", row) for i, row in enumerate(document["entries"], start=1)]


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        values: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v}
        for name in _LIST_FIELDS:
            if name in values:
                values[name] = [part.strip() for part in values[name].split(";") if part.strip()]
        rows.append((f"line {reader.line_num}", values))
    return rows


def _entry(row: object) -> ManualEntry:
    if not isinstance(row, dict):
        raise TypeError("an entry is a mapping of fields")
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(map(str, unknown))}")
    key = str(row.get("key") or "").strip()
    if not key:
        raise ValueError("an entry needs a key")
    lists = {name: [str(v).strip() for v in row.get(name) or []] for name in _LIST_FIELDS}
    try:
        codes = tuple(sorted({int(code) for code in lists["fault_codes"]}))
        kind = EntryKind(str(row.get("kind") or ""))
        audience = Audience(str(row.get("audience") or Audience.INTERNAL.value))
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None
    texts = {name: unwrap(str(row.get(name) or "")) for name in _TEXT_FIELDS}
    content = EntryContent(
        kind=kind,
        audience=audience,
        machine_models=tuple(dict.fromkeys(lists["machine_models"])),
        fault_codes=codes,
        signals=tuple(dict.fromkeys(lists["signals"])),
        part_numbers=tuple(dict.fromkeys(lists["parts"])),
        **texts,
    )
    return ManualEntry(key, content)


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")


def unwrap(text: str) -> str:
    """The text with lines wrapped in the file joined again: a line break stays only
    before a list item or around a blank line, so the page reflows the sentences."""
    lines = text.strip().splitlines()
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        joins = out and out[-1] and stripped and not _LIST_ITEM.match(line)
        if joins:
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
    return "\n".join(out)


async def import_manual(
    conn: Connection,
    *,
    entries: list[ManualEntry],
    by: str,
    by_name: str,
    at: datetime,
    publish: bool,
) -> ImportCounts:
    """Create or update each entry by its key, in one transaction."""
    created = updated = unchanged = retired = 0
    kept: list[str] = []
    async with conn.transaction():
        for item in entries:
            entry_id = await knowledge_store.entry_for_manual_key(conn, manual_key=item.key)
            if entry_id is None:
                await knowledge_store.create_entry(
                    conn,
                    content=item.content,
                    by=by,
                    by_name=by_name,
                    at=at,
                    note=_IMPORTED,
                    manual_key=item.key,
                    published=publish,
                )
                created += 1
                continue
            state = await knowledge_store.lock_entry(conn, entry_id=entry_id)
            current = await knowledge_store.get_entry(
                conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
            )
            assert state is not None and current is not None  # found by key just now
            if state.status is EntryStatus.RETIRED:
                retired += 1
                continue
            if current.shown.content == item.content:
                unchanged += 1
                continue
            if current.shown.change_note not in _FROM_MANUAL:
                kept.append(item.key)
                continue
            await knowledge_store.add_version(
                conn,
                entry=state,
                content=item.content,
                status=status_after_edit(state.status),
                by=by,
                by_name=by_name,
                at=at,
                note=_UPDATED,
            )
            if publish:
                moved = await knowledge_store.lock_entry(conn, entry_id=entry_id)
                assert moved is not None
                await knowledge_store.set_status(
                    conn, entry=moved, status=EntryStatus.PUBLISHED, by=by, at=at
                )
            updated += 1
    return ImportCounts(created, updated, unchanged, retired, tuple(kept))


async def seed_demo_knowledge(conn: Connection, *, config_dir: Path, at: datetime) -> ImportCounts:
    """The demo's manual and articles, published by the demo support engineer; a second
    run changes nothing. Raises ValueError when the file has bad entries."""
    text = (config_dir / DEMO_MANUAL_FILE).read_text(encoding="utf-8")
    entries, problems = read_manual(text, csv_format=False)
    if problems:
        raise ValueError("; ".join(f"{p.where}: {p.message}" for p in problems))
    return await import_manual(
        conn, entries=entries, by=DEMO_AUTHOR, by_name=DEMO_AUTHOR_NAME, at=at, publish=True
    )


def add_parser(commands: _Subparsers) -> None:
    knowledge = commands.add_parser(
        "knowledge",
        help="fault knowledge base: import the manual, search it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = knowledge.add_subparsers(dest="knowledge_command", required=True)
    imports = actions.add_parser("import", help="add or update entries from a YAML or CSV manual")
    imports.add_argument("file", type=Path, help="like config/knowledge_base.yaml (or .csv)")
    imports.add_argument("--check", action="store_true", help="only check the file")
    imports.add_argument("--draft", action="store_true", help="import as drafts to review")
    search = actions.add_parser("search", help="full-text search, best match first")
    search.add_argument("words", nargs="*", help='web search syntax: words, "a phrase", -not')
    search.add_argument("--model", help="only entries for this machine model")
    search.add_argument("--fault-code", type=int, help="only entries for this fault code")
    search.add_argument("--signal", help="only entries for this signal")
    search.add_argument("--status", choices=[s.value for s in EntryStatus])


def run_knowledge(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.knowledge_command == "import":
            return _import(args, settings)
        return asyncio.run(_search(args, settings))
    except psycopg.OperationalError as error:
        print(f"linecare knowledge: database unreachable: {error}", file=sys.stderr)
        return 1


def _import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"linecare knowledge: cannot read {path}: {error}", file=sys.stderr)
        return 2
    entries, problems = read_manual(text, csv_format=path.suffix.lower() == ".csv")
    if problems:
        for problem in problems:
            print(f"{path}: {problem.where}: {problem.message}", file=sys.stderr)
        print(f"linecare knowledge: {len(problems)} bad entries, nothing imported", file=sys.stderr)
        return 2
    if args.check:
        print(f"{path}: {len(entries)} entries, all valid")
        return 0
    counts = asyncio.run(_save(settings, entries, publish=not args.draft))
    print(
        f"{path}: {counts.created} created, {counts.updated} updated,"
        f" {counts.unchanged} unchanged, {counts.retired} retired (left alone)"
    )
    if counts.kept:
        print(
            f"kept as edited in LineCare (not overwritten): {', '.join(counts.kept)}",
            file=sys.stderr,
        )
    return 0


async def _save(settings: Settings, entries: list[ManualEntry], *, publish: bool) -> ImportCounts:
    login = f"cli:{getpass.getuser()}"
    async with await psycopg.AsyncConnection.connect(settings.dsn(), autocommit=True) as conn:
        return await import_manual(
            conn, entries=entries, by=login, by_name=login, at=datetime.now(UTC), publish=publish
        )


async def _search(args: argparse.Namespace, settings: Settings) -> int:
    query = KnowledgeQuery(
        text=" ".join(args.words),
        machine_model=args.model,
        fault_code=args.fault_code,
        signal=args.signal,
        statuses=(EntryStatus(args.status),) if args.status else (),
    )
    async with await psycopg.AsyncConnection.connect(settings.dsn(), autocommit=True) as conn:
        hits = await knowledge_store.search(
            conn, query=query, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
        )
    if not hits:
        print("no entries match", file=sys.stderr)
        return 2
    for hit in hits:
        content = hit.entry.shown.content
        snippet = "".join(f"[{p.text}]" if p.match else p.text for p in hit.snippet)
        print(
            f"#{hit.entry.id:<4} {hit.entry.status.value:9} {','.join(content.machine_models):14}"
            f" {content.title}"
        )
        if snippet:
            print("      " + " ".join(snippet.split()))
    return 0
