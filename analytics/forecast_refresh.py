"""The outlook after each scoring: trend, time to limit and shifts, stored per machine."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.condition_observations import batch_from_windows
from analytics.condition_refresh_context import RefreshContext, running_windows, signal_limits
from analytics.degradation_forecast import forecast_health
from models.condition_model import ConditionModel, ScorerState
from models.plant import Machine
from storage import forecast_store
from storage.connections import Connection


async def refresh_forecast(
    conn: Connection,
    ctx: RefreshContext,
    machine: Machine,
    model: ConditionModel,
    state: ScorerState,
    *,
    until: datetime,
) -> None:
    """Store the outlook from the latest observations (trend, time to limit, shifts)."""
    settings = ctx.settings.forecast
    width = timedelta(seconds=model.observation_width_s)
    # Running time is gappy: read a generous stretch and keep the latest observations.
    since = until - width * settings.trend_observations * 3
    windows = await running_windows(conn, ctx, machine, since=since, until=until, width=width)
    outlook = forecast_health(
        model,
        batch_from_windows(windows[-settings.trend_observations :], model.signals),
        limits=signal_limits(machine),
        settings=settings,
        learned_regimes=state.regimes,
    )
    if outlook is not None:
        await forecast_store.save_forecast(conn, forecast=outlook)
