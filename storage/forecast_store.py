"""The latest condition outlook of each machine (``models.condition_forecast``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from models.condition_forecast import HealthForecast, SignalForecast
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_UPSERT = """
INSERT INTO condition_forecasts
    (machine_id, computed_at, health_index, change_at, observations, signals)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (machine_id) DO UPDATE SET
    computed_at = EXCLUDED.computed_at, health_index = EXCLUDED.health_index,
    change_at = EXCLUDED.change_at, observations = EXCLUDED.observations,
    signals = EXCLUDED.signals
"""

_SELECT = f"""
SELECT machine_id, computed_at, health_index, change_at, observations, signals
FROM condition_forecasts
WHERE machine_id = ANY(%(machines)s) AND {scope_filter("machine", "machine_id")}
"""


def _signal_json(forecast: SignalForecast) -> dict[str, Any]:
    return {
        "signal": forecast.signal,
        "unit": forecast.unit,
        "level": forecast.level,
        "limit": forecast.limit,
        "rising": forecast.rising,
        "slope_per_hour": forecast.slope_per_hour,
        "hours_to_limit": forecast.hours_to_limit,
        "hours_low": forecast.hours_low,
        "hours_high": forecast.hours_high,
    }


def _signal(raw: dict[str, Any]) -> SignalForecast:
    return SignalForecast(
        signal=raw["signal"],
        unit=raw["unit"],
        level=raw["level"],
        limit=raw["limit"],
        rising=raw["rising"],
        slope_per_hour=raw["slope_per_hour"],
        hours_to_limit=raw["hours_to_limit"],
        hours_low=raw["hours_low"],
        hours_high=raw["hours_high"],
    )


async def save_forecast(conn: Connection, *, forecast: HealthForecast) -> None:
    await conn.execute(
        _UPSERT,
        (
            forecast.machine_id,
            forecast.computed_at,
            forecast.health_index,
            forecast.change_at,
            forecast.observations,
            Jsonb([_signal_json(s) for s in forecast.signals]),
        ),
    )


async def latest_forecasts(
    conn: Connection, *, machine_ids: Sequence[str], scope: CustomerScope
) -> dict[str, HealthForecast]:
    """The newest forecast of each of the scope's machines; machines without one are absent."""
    cursor = await conn.execute(_SELECT, {"machines": list(machine_ids), **scope.params})
    return {
        machine_id: HealthForecast(
            machine_id=machine_id,
            computed_at=computed_at,
            health_index=health_index,
            signals=tuple(_signal(s) for s in signals),
            change_at=change_at,
            observations=observations,
        )
        for machine_id, computed_at, health_index, change_at, observations, signals in (
            await cursor.fetchall()
        )
    }
