"""Versioned condition models on a real TimescaleDB: one active model per machine,
promotion and retirement, and falling back when a stored model no longer loads."""

from __future__ import annotations

import numpy as np
import pytest

from models.condition_model import ConditionModel, ModelStatus, ScorerState
from models.plant import Plant
from storage import condition_model_store, condition_scoring_store
from storage.asset_registry import sync_assets
from storage.condition_model_codec import ModelDecodeError, state_from_json, state_to_json
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.analytics.condition_factories import SIGNALS, T0, healthy, trained

pytestmark = pytest.mark.integration

MACHINE = "l1-filler"


def _model(seed: int = 0) -> ConditionModel:
    return trained(healthy(np.random.default_rng(seed), 60), machine_id=MACHINE)


async def _statuses(conn: Connection) -> list[tuple[int, ModelStatus]]:
    rows = await condition_model_store.versions(conn, machine_id=MACHINE, scope=EVERY_CUSTOMER)
    return [(r.version, r.status) for r in rows]


@pytest.fixture
async def conn_with_assets(db_pool: Pool, plant: Plant) -> Pool:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    return db_pool


async def test_an_inserted_active_model_loads_back_as_it_was(conn_with_assets: Pool) -> None:
    model = _model()
    async with conn_with_assets.connection() as conn:
        stored = await condition_model_store.insert_model(
            conn, model=model, status=ModelStatus.ACTIVE, reason="first model"
        )
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )

    assert (stored.version, stored.status, stored.reason) == (1, ModelStatus.ACTIVE, "first model")
    assert usable is not None
    assert usable.note == ""
    assert usable.stored.model == model
    assert usable.stored.version == 1


async def test_a_machine_without_an_active_model_has_none_to_use(conn_with_assets: Pool) -> None:
    async with conn_with_assets.connection() as conn:
        nothing = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )
        await condition_model_store.insert_model(
            conn, model=_model(), status=ModelStatus.CANDIDATE, reason="retrained"
        )
        candidate_only = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )

    assert (nothing, candidate_only) == (None, None)


async def test_a_second_active_model_retires_the_first(conn_with_assets: Pool) -> None:
    async with conn_with_assets.connection() as conn:
        await condition_model_store.insert_model(
            conn, model=_model(0), status=ModelStatus.ACTIVE, reason="first model"
        )
        second = await condition_model_store.insert_model(
            conn, model=_model(1), status=ModelStatus.ACTIVE, reason="retrained"
        )
        statuses = await _statuses(conn)
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )

    assert statuses == [(2, ModelStatus.ACTIVE), (1, ModelStatus.RETIRED)]
    assert usable is not None and usable.stored.id == second.id


async def test_promoting_and_retiring_versions(conn_with_assets: Pool) -> None:
    async with conn_with_assets.connection() as conn:
        await condition_model_store.insert_model(
            conn, model=_model(0), status=ModelStatus.ACTIVE, reason="first model"
        )
        await condition_model_store.insert_model(
            conn, model=_model(1), status=ModelStatus.CANDIDATE, reason="retrained"
        )
        promoted = await condition_model_store.promote(conn, machine_id=MACHINE, version=2)
        after_promotion = await _statuses(conn)
        missing = await condition_model_store.promote(conn, machine_id=MACHINE, version=9)
        retired = await condition_model_store.retire(conn, machine_id=MACHINE, version=2)
        after_retirement = await _statuses(conn)
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )

    assert (promoted, missing, retired) == (True, False, True)
    assert after_promotion == [(2, ModelStatus.ACTIVE), (1, ModelStatus.RETIRED)]
    assert after_retirement == [(2, ModelStatus.RETIRED), (1, ModelStatus.RETIRED)]
    assert usable is None


async def test_a_corrupt_active_model_falls_back_to_the_version_before_with_a_note(
    conn_with_assets: Pool,
) -> None:
    first = _model(0)
    async with conn_with_assets.connection() as conn:
        await condition_model_store.insert_model(
            conn, model=first, status=ModelStatus.ACTIVE, reason="first model"
        )
        await condition_model_store.insert_model(
            conn, model=_model(1), status=ModelStatus.ACTIVE, reason="retrained"
        )
        await conn.execute(
            "UPDATE condition_models SET model = '{}' WHERE machine_id = %s AND version = 2",
            (MACHINE,),
        )
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
        )

    assert usable is not None
    assert usable.stored.version == 1
    assert usable.stored.model == first
    assert usable.note.startswith("version 2 does not load")
    assert usable.note.endswith("scoring with version 1 instead")


async def test_a_model_using_a_signal_the_machine_dropped_falls_back(
    conn_with_assets: Pool,
) -> None:
    async with conn_with_assets.connection() as conn:
        await condition_model_store.insert_model(
            conn,
            model=trained(healthy(np.random.default_rng(0), 60)[:, :2], signals=SIGNALS[:2]),
            status=ModelStatus.ACTIVE,
            reason="first model",
        )
        await condition_model_store.insert_model(
            conn, model=_model(1), status=ModelStatus.ACTIVE, reason="retrained"
        )
        usable = await condition_model_store.load_usable_model(
            conn, machine_id=MACHINE, signals=SIGNALS[:2], scope=EVERY_CUSTOMER
        )

    assert usable is not None and usable.stored.version == 1
    assert "motor_current" in usable.note


async def test_when_no_version_loads_the_machine_cannot_be_scored(
    conn_with_assets: Pool,
) -> None:
    async with conn_with_assets.connection() as conn:
        await condition_model_store.insert_model(
            conn, model=_model(0), status=ModelStatus.ACTIVE, reason="first model"
        )
        await condition_model_store.insert_model(
            conn, model=_model(1), status=ModelStatus.ACTIVE, reason="retrained"
        )
        await conn.execute("UPDATE condition_models SET model = '{}'")

        with pytest.raises(ModelDecodeError, match=r"version 2 does not load.*version 1"):
            await condition_model_store.load_usable_model(
                conn, machine_id=MACHINE, signals=SIGNALS, scope=EVERY_CUSTOMER
            )


async def test_a_scoring_position_keeps_the_scorer_state_and_rewinds_only_back(
    conn_with_assets: Pool,
) -> None:
    model = _model()
    state = ScorerState(
        recent=np.arange(6.0).reshape(2, 3),
        reference=np.array([0.1, -0.2, 0.3]),
        last_values=np.array([1.0, 2.0, 3.0]),
        observations=42,
    )
    async with conn_with_assets.connection() as conn:
        stored = await condition_model_store.insert_model(
            conn, model=model, status=ModelStatus.ACTIVE, reason="first model"
        )
        await condition_scoring_store.save_position(
            conn,
            machine_id=MACHINE,
            model_id=stored.id,
            scored_until=T0,
            state=state_to_json(state),
            note="",
        )
        await condition_scoring_store.rewind_scoring(
            conn, machine_id=MACHINE, scored_until=T0.replace(hour=6)
        )
        not_back = await condition_scoring_store.positions(
            conn, machine_ids=[MACHINE], scope=EVERY_CUSTOMER
        )
        await condition_scoring_store.rewind_scoring(
            conn, machine_id=MACHINE, scored_until=T0.replace(hour=4)
        )
        back = await condition_scoring_store.positions(
            conn, machine_ids=[MACHINE], scope=EVERY_CUSTOMER
        )

    position = not_back[MACHINE]
    assert (position.model_id, position.scored_until) == (stored.id, T0)
    assert position.state is not None
    loaded = state_from_json(position.state, model)
    assert loaded is not None
    assert loaded.observations == 42
    np.testing.assert_array_equal(loaded.recent, state.recent)
    np.testing.assert_array_equal(loaded.reference, state.reference)
    assert back[MACHINE].scored_until == T0.replace(hour=4)
