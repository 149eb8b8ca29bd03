"""The demo's parts: seeded once, unchanged by a restart (edits stay), refused when a file is
bad."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from api.auth.passwords import password_matches
from launcher.parts_demo import DemoDataError, seed_demo_parts
from models.plant import Plant
from storage import parts_store, stock_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.user_store import DEMO_PASSWORD, find_user_by_token, password_hash_of
from tests.fixtures.fix_database import PLANT_FILE
from tests.parts.conftest import SEEDED_AT

pytestmark = pytest.mark.integration


async def test_a_second_seeding_changes_nothing(parts_pool: Pool, plant: Plant) -> None:
    async with parts_pool.connection() as conn:
        ledger = await stock_store.ledger(conn, limit=1000)
        installed = await parts_store.installed_parts(
            conn, machine_id="l2-filler", scope=EVERY_CUSTOMER
        )
        kit = await parts_store.get_part(conn, part_number="FIL12-BRG-KIT")
        assert kit is not None
        await parts_store.save_part(
            conn, part=replace(kit.part, lead_time_days=30), by="demo-parts", at=SEEDED_AT
        )

        await seed_demo_parts(
            conn, plant=plant, config_dir=PLANT_FILE.parent, at=SEEDED_AT + timedelta(days=9)
        )

        assert await stock_store.ledger(conn, limit=1000) == ledger
        assert (
            await parts_store.installed_parts(conn, machine_id="l2-filler", scope=EVERY_CUSTOMER)
            == installed
        )
        edited = await parts_store.get_part(conn, part_number="FIL12-BRG-KIT")
        assert edited is not None and edited.part.lead_time_days == 30
        manager = await find_user_by_token(conn, token="demo-parts")
    assert manager is not None and manager.role == "parts_manager"
    assert len(ledger) > 40 and {e.kind for e in ledger} == {"receipt"}


async def test_the_demo_parts_manager_signs_in_with_the_demo_password(parts_pool: Pool) -> None:
    async with parts_pool.connection() as conn:
        found = await password_hash_of(conn, login="demo-parts")
    assert found is not None
    assert password_matches(found[1], DEMO_PASSWORD)


async def test_a_bad_demo_file_is_refused_with_its_lines(
    db_pool: Pool, plant: Plant, tmp_path: Path
) -> None:
    shutil.copy(PLANT_FILE.parent / "installed_base.csv", tmp_path / "installed_base.csv")
    catalogue = (PLANT_FILE.parent / "parts_catalogue.csv").read_text()
    (tmp_path / "parts_catalogue.csv").write_text(catalogue.replace(",critical,", ",vital,", 1))

    async with db_pool.connection() as conn:
        with pytest.raises(DemoDataError, match=r"parts_catalogue.csv: line 2: class 'vital'"):
            await seed_demo_parts(conn, plant=plant, config_dir=tmp_path, at=SEEDED_AT)
