"""GET /api/health: liveness for launchers and monitors; needs no token."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Response, status

from api.deps import PoolDep
from api.schemas.health import HealthPublic
from storage.plant_clock import latest_telemetry_time

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(pool: PoolDep, response: Response) -> HealthPublic:
    """Always answers; 503 with ``database: false`` while the database is unreachable."""
    try:
        async with pool.connection(timeout=5) as conn:
            plant_time = await latest_telemetry_time(conn)
    except psycopg.Error:  # includes the pool timing out
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthPublic(status="degraded", database=False, plant_time=None)
    return HealthPublic(status="ok", database=True, plant_time=plant_time)
