"""An app on a fresh database with the shipped plant's assets and the demo users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.user_store import seed_demo_users

SUPPORT = {"Authorization": "Bearer demo-support"}
DESK = {"Authorization": "Bearer demo-desk"}
NORDBRAU = {"Authorization": "Bearer demo-nordbrau"}
ALPENPACK = {"Authorization": "Bearer demo-alpenpack"}


@pytest.fixture
def settings(database_dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_dsn,
        state_dir=tmp_path,
        manage_services=False,
        api_host="127.0.0.1",
        api_port=8000,
    )


@pytest.fixture
async def assets_pool(db_pool: Pool, plant: Plant) -> Pool:
    """The test database with the plant's assets, but no users."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    return db_pool


@pytest.fixture
async def seeded_pool(assets_pool: Pool) -> Pool:
    """The test database with assets and the four demo users."""
    async with assets_pool.connection() as conn:
        await seed_demo_users(conn)
    return assets_pool


@pytest.fixture
def app(settings: Settings, plant: Plant, seeded_pool: Pool) -> FastAPI:
    return create_app(settings, plant, pool=seeded_pool)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        yield http
