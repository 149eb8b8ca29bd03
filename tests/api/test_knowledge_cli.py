"""`linecare knowledge import | search` against the test database, as from a shell."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from launcher import cli
from models.knowledge import STAFF_VIEWER, EntryStatus
from storage import knowledge_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

Linecare = Callable[..., Awaitable[tuple[int, str, str]]]
MANUAL = PLANT_FILE.parent / "knowledge_base.yaml"
CSV_HEADER = "key,kind,audience,machine_models,fault_codes,signals,parts,title,causes\n"


@pytest.fixture
def linecare(
    database_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Linecare:
    """Runs `linecare ARGS` in its own event loop, as from a shell: (exit code, out, err)."""
    monkeypatch.setenv("LINECARE_DATABASE_URL", database_dsn)
    monkeypatch.setenv("LINECARE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LINECARE_PLANT_FILE", str(PLANT_FILE))

    async def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(cli.main, list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


async def test_the_manual_imports_once_and_a_changed_entry_gets_a_version(
    linecare: Linecare, assets_pool: Pool, tmp_path: Path
) -> None:
    code, out, _ = await linecare("knowledge", "import", str(MANUAL))
    assert code == 0
    assert "22 created, 0 updated, 0 unchanged" in out
    code, out, _ = await linecare("knowledge", "import", str(MANUAL))
    assert "0 created, 0 updated, 22 unchanged" in out

    changed = tmp_path / "manual.yaml"
    text = MANUAL.read_text(encoding="utf-8")
    changed.write_text(text.replace("(typically 18 to 24 months", "(typically 12 to 24 months"))
    code, out, _ = await linecare("knowledge", "import", str(changed))
    assert "0 created, 1 updated, 21 unchanged" in out
    async with assets_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT e.status, e.current_version, e.published_version, v.causes"
            " FROM knowledge_entries e JOIN knowledge_versions v"
            " ON v.entry_id = e.id AND v.version = e.published_version"
            " WHERE e.manual_key = 'FIL-12/201'"
        )
        row = await cursor.fetchone()
    assert row is not None
    assert row[:3] == ("published", 2, 2)
    assert "12 to 24 months" in row[3]


async def test_a_re_import_keeps_entries_edited_in_linecare(
    linecare: Linecare, assets_pool: Pool, tmp_path: Path
) -> None:
    await linecare("knowledge", "import", str(MANUAL))
    async with assets_pool.connection() as conn:
        entry_id = await knowledge_store.entry_for_manual_key(conn, manual_key="FIL-12/201")
        assert entry_id is not None
        async with conn.transaction():
            state = await knowledge_store.lock_entry(conn, entry_id=entry_id)
            current = await knowledge_store.get_entry(
                conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
            )
            assert state is not None and current is not None
            await knowledge_store.add_version(
                conn,
                entry=state,
                content=replace(current.shown.content, causes="Edited by support"),
                status=EntryStatus.DRAFT,
                by="demo-support",
                by_name="Support",
                at=datetime.now(UTC),
                note="sharper causes",
            )
    changed = tmp_path / "manual.yaml"
    text = MANUAL.read_text(encoding="utf-8")
    changed.write_text(text.replace("(typically 18 to 24 months", "(typically 12 to 24 months"))
    code, out, err = await linecare("knowledge", "import", str(changed))
    assert code == 0
    assert "0 created, 0 updated, 21 unchanged" in out
    assert "kept as edited in LineCare (not overwritten): FIL-12/201" in err
    async with assets_pool.connection() as conn:
        entry = await knowledge_store.get_entry(
            conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
        )
    assert entry is not None
    assert entry.shown.content.causes == "Edited by support"


async def test_search_prints_the_best_match_first_with_the_hits_marked(
    linecare: Linecare, assets_pool: Pool
) -> None:
    await linecare("knowledge", "import", str(MANUAL))
    code, out, _ = await linecare("knowledge", "search", "glue", "pump")
    assert code == 0
    lines = out.splitlines()
    assert "LAB-2 fault 102: labels or glue missing" in lines[0]
    assert "[glue]" in lines[1] and "[pump]" in lines[1]
    code, out, _ = await linecare("knowledge", "search", "--model", "PK-9", "--fault-code", "102")
    assert out.splitlines()[0].endswith(
        "CE-4, PK-9, SL-3 fault 102: material missing (blanks, tape)"
    )
    code, _, err = await linecare("knowledge", "search", "zebra")
    assert (code, err.strip()) == (2, "no entries match")


async def test_a_csv_manual_imports_as_drafts_and_bad_entries_import_nothing(
    linecare: Linecare, assets_pool: Pool, tmp_path: Path
) -> None:
    good = tmp_path / "manual.csv"
    good.write_text(
        CSV_HEADER
        + 'LAB-2/105,fault_code,customers,LAB-2,105,,LAB2-PALLET-SET,"LAB-2 fault 105: pallet",'
        '"Pallet worn"\n'
        + "art/1,symptom,internal,CE-4;PK-9,,motor_current;speed,,Belt squeal,Belt worn\n",
        encoding="utf-8",
    )
    code, out, _ = await linecare("knowledge", "import", "--draft", str(good))
    assert code == 0
    assert out.strip().endswith("2 created, 0 updated, 0 unchanged, 0 retired (left alone)")
    code, out, _ = await linecare("knowledge", "search", "--status", "draft", "--signal", "speed")
    assert "Belt squeal" in out

    bad = tmp_path / "bad.csv"
    bad.write_text(
        CSV_HEADER
        + "x/1,fault_code,customers,LAB-2,,,,No code,\n"
        + "x/2,symptom,everyone,LAB-2,,,,Audience,\n"
        + "x/3,symptom,internal,,,,,No model,\n"
        + "x/4,symptom,internal,LAB-2,abc,,,Bad code,\n"
        + "x/5,symptom,internal,LAB-2,,,,Fine,\n",
        encoding="utf-8",
    )
    code, _, err = await linecare("knowledge", "import", str(bad))
    assert code == 2
    assert [line.split(": ")[1] for line in err.splitlines()[:4]] == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
    ]
    assert "4 bad entries, nothing imported" in err
    code, _, _ = await linecare("knowledge", "search", "Fine")
    assert code == 2
