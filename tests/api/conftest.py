"""An app on a fresh database with the shipped plant's assets and the demo users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from services.free_ports import free_port
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


@pytest.fixture
async def api_url(app: FastAPI) -> AsyncIterator[str]:
    """The app served by uvicorn on a free port, for clients that speak real HTTP."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn offers no event to await its start
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the API did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving
