"""Users on a real database: creation never overwrites, revocation outlives a demo re-seed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.credentials import ApiKeyAccess
from models.plant import Plant
from models.users import Role
from storage.api_key_store import create_api_key, list_api_keys
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.session_store import (
    create_refresh_token,
    create_session,
    use_refresh_token,
    user_of_session,
)
from storage.user_store import (
    DEMO_PASSWORD_HASH,
    active_demo_users,
    create_user,
    find_account,
    find_user_by_token,
    list_accounts,
    password_hash_of,
    replace_token,
    revoke_user,
    seed_demo_users,
    set_password_hash,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(db_pool: Pool, plant: Plant) -> Pool:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    return db_pool


async def test_create_user_refuses_a_taken_login_and_changes_nothing(pool: Pool) -> None:
    async with pool.connection() as conn:
        first = await create_user(
            conn, login="olga", display_name="Olga", role=Role.SUPPORT, customer_id=None,
            token="olga-1",
        )  # fmt: skip
        second = await create_user(
            conn, login="olga", display_name="Other", role=Role.CUSTOMER, customer_id="nordbrau",
            token="olga-2",
        )  # fmt: skip
        found = await find_user_by_token(conn, token="olga-1")
        assert await find_user_by_token(conn, token="olga-2") is None
    assert first is not None and second is None
    assert found == first


async def test_a_revoked_user_no_longer_signs_in_but_stays_listed(pool: Pool) -> None:
    async with pool.connection() as conn:
        await create_user(
            conn, login="paul", display_name="Paul", role=Role.DESK, customer_id=None,
            token="paul-token",
        )  # fmt: skip
        revoked = await revoke_user(conn, login="paul")
        again = await revoke_user(conn, login="paul")
        assert await find_user_by_token(conn, token="paul-token") is None
        assert await replace_token(conn, login="paul", token="paul-new") is None
        assert await find_user_by_token(conn, token="paul-new") is None
        accounts = await list_accounts(conn)
    assert revoked is not None and revoked.revoked_at is not None
    assert again is not None and again.revoked_at == revoked.revoked_at
    assert [(a.user.login, a.active) for a in accounts] == [("paul", False)]


async def test_unknown_logins_are_none(pool: Pool) -> None:
    async with pool.connection() as conn:
        assert await find_account(conn, login="nobody") is None
        assert await revoke_user(conn, login="nobody") is None
        assert await replace_token(conn, login="nobody", token="t") is None


async def test_a_revoked_demo_user_stays_revoked_when_the_demo_seeds_again(pool: Pool) -> None:
    async with pool.connection() as conn:
        await seed_demo_users(conn)
        await revoke_user(conn, login="demo-desk")
        await seed_demo_users(conn)
        assert await find_user_by_token(conn, token="demo-desk") is None
        assert await find_user_by_token(conn, token="demo-support") is not None
        hints = [demo.login for demo in await active_demo_users(conn)]
    assert hints == [
        "demo-support",
        "demo-nordbrau",
        "demo-alpenpack",
        "demo-field-1",
        "demo-field-2",
        "demo-field-3",
    ]


async def test_a_demo_password_someone_changed_survives_a_new_seed(pool: Pool) -> None:
    async with pool.connection() as conn:
        await seed_demo_users(conn)
        await set_password_hash(conn, login="demo-desk", password_hash="$argon2id$changed")
        await seed_demo_users(conn)
        desk = await password_hash_of(conn, login="demo-desk")
        support = await password_hash_of(conn, login="demo-support")
    assert desk is not None and desk[1] == "$argon2id$changed"
    assert support is not None and support[1] == DEMO_PASSWORD_HASH


async def test_a_new_token_replaces_the_personal_key_and_keeps_other_keys(pool: Pool) -> None:
    async with pool.connection() as conn:
        user = await create_user(
            conn, login="rita", display_name="Rita", role=Role.DESK, customer_id=None,
            token="rita-1",
        )  # fmt: skip
        assert user is not None
        await create_api_key(
            conn, user_id=user.id, name="MES", key="rita-mes", access=ApiKeyAccess.READ_ONLY,
            customer_id=None,
        )  # fmt: skip
        await replace_token(conn, login="rita", token="rita-2")
        assert await find_user_by_token(conn, token="rita-1") is None
        assert await find_user_by_token(conn, token="rita-2") == user
        assert await find_user_by_token(conn, token="rita-mes") == user
        personal = [k for k in await list_api_keys(conn, owner_login="rita") if k.personal]
    assert [k.active for k in personal] == [True, False]


async def test_a_user_without_token_has_no_key_and_no_password(pool: Pool) -> None:
    async with pool.connection() as conn:
        user = await create_user(
            conn, login="tom", display_name="Tom", role=Role.SUPPORT, customer_id=None
        )
        assert user is not None
        assert await list_api_keys(conn, owner_login="tom") == []
        found = await password_hash_of(conn, login="tom")
    assert found == (user, None)


async def test_revoking_a_user_ends_sessions_and_refresh_tokens(pool: Pool) -> None:
    async with pool.connection() as conn:
        user = await create_user(
            conn, login="uli", display_name="Uli", role=Role.SUPPORT, customer_id=None
        )
        assert user is not None
        await create_session(
            conn, user_id=user.id, token="s-1", lifetime=timedelta(hours=1), client_address=None
        )
        await create_refresh_token(conn, user_id=user.id, token="r-1", lifetime=timedelta(days=1))
        assert await user_of_session(conn, token="s-1", idle_timeout=timedelta(hours=1)) == user
        await revoke_user(conn, login="uli")
        session = await user_of_session(conn, token="s-1", idle_timeout=timedelta(hours=1))
        refresh = await use_refresh_token(
            conn, token="r-1", replacement="r-2", lifetime=timedelta(days=1)
        )
    assert session is None
    assert refresh.user is None and not refresh.reused
