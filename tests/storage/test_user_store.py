"""Users on a real database: creation never overwrites, revocation outlives a demo re-seed."""

from __future__ import annotations

import pytest

from models.plant import Plant
from models.users import Role
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.user_store import (
    active_demo_users,
    create_user,
    find_account,
    find_user_by_token,
    list_accounts,
    replace_token,
    revoke_user,
    seed_demo_users,
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
