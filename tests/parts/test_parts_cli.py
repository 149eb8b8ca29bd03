"""`linecare parts import | stock | trace` against the test database, as from a shell."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from launcher import cli
from storage import parts_store
from storage.connections import Pool
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

Linecare = Callable[..., Awaitable[tuple[int, str, str]]]

HEADER = (
    "part_number,description,class,serialized,unit_cost,currency,supplier,lead_time_days,fits\n"
)


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


async def test_a_file_with_bad_rows_imports_nothing_and_lists_every_one(
    linecare: Linecare, parts_pool: Pool, tmp_path: Path
) -> None:
    csv_file = tmp_path / "new_parts.csv"
    csv_file.write_text(
        HEADER
        + "CE4-SUCTION-CUP,Erector suction cup,wear,no,12.50,EUR,Schmalz,7,CE-4:suction\n"
        + "CE4-VALVE,Erector vacuum valve,critical,perhaps,80,EUR,Festo,10,CE-4:vacuum\n"
        + "CE4-GEAR,Erector gear,critical,no,80,EUR,Festo,-4,CE-4:drive\n"
    )
    run = linecare

    code, _, err = await run("parts", "import", str(csv_file))

    assert code == 2
    assert f"{csv_file}:3: serialized 'perhaps' is not yes or no" in err
    assert f"{csv_file}:4: the lead time cannot be negative" in err
    assert "2 bad rows, nothing imported" in err
    async with parts_pool.connection() as conn:
        assert await parts_store.get_part(conn, part_number="CE4-SUCTION-CUP") is None


async def test_a_good_file_is_imported_and_stock_and_trace_are_printed(
    linecare: Linecare, parts_pool: Pool, tmp_path: Path
) -> None:
    csv_file = tmp_path / "new_parts.csv"
    csv_file.write_text(
        HEADER + "CE4-SUCTION-CUP,Erector suction cup,wear,no,12.50,EUR,Schmalz,7,CE-4:suction\n"
    )
    run = linecare

    imported = await run("parts", "import", str(csv_file))
    low = await run("parts", "stock", "--low")
    as_json = await run("parts", "--json", "stock", "--store", "central", "--part", "CAP6-CHUCK")
    trace = await run("parts", "trace", "FIL12-BRG-KIT", "BRG-2024-0117")
    unknown = await run("parts", "trace", "FIL12-BRG-KIT", "NOPE")

    assert imported[0] == 0 and "imported 1 parts" in imported[1]
    async with parts_pool.connection() as conn:
        entry = await parts_store.get_part(conn, part_number="CE4-SUCTION-CUP")
    assert entry is not None and entry.updated_by.startswith("cli:")
    assert low[0] == 0
    assert [line.split()[:2] for line in low[1].splitlines()[1:]] == [["central", "LAB2-GLUE-PUMP"]]
    assert low[1].splitlines()[1].endswith("LOW")
    (level,) = json.loads(as_json[1])
    assert (level["on_hand"], level["available"], level["safety_stock"]) == (4, 4, 2)
    assert trace[0] == 0
    assert trace[1].splitlines()[0] == (
        "FIL12-BRG-KIT serial BRG-2024-0117: installed l1-filler at main-drive"
    )
    assert "installed   l1-filler at main-drive" in trace[1]
    assert unknown[0] == 2 and "no unit NOPE" in unknown[2]
