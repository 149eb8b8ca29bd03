"""Without a pool handed in, the app opens its own at start-up and closes it at shutdown."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.connections import Pool

pytestmark = pytest.mark.integration


async def test_app_opens_and_closes_its_own_pool(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> None:
    app = create_app(settings, plant)
    async with app.router.lifespan_context(app):
        pool: Pool = app.state.pool
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
            response = await http.get("/api/me", headers={"Authorization": "Bearer demo-desk"})
        assert response.status_code == 200
    assert pool is not seeded_pool
    assert pool.closed


async def test_a_pool_handed_in_stays_open(
    settings: Settings, plant: Plant, seeded_pool: Pool
) -> None:
    app = create_app(settings, plant, pool=seeded_pool)
    async with app.router.lifespan_context(app):
        assert app.state.pool is seeded_pool
    assert not seeded_pool.closed
