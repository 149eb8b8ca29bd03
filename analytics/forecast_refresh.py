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
from storage.customer_scope import EVERY_CUSTOMER


async def refresh_forecast(
    conn: Connection,
    ctx: RefreshContext,
    machine: Machine,
    model: ConditionModel,
    state: ScorerState,
    *,
    until: datetime,
) -> None:
    """Store the outlook from the latest observations (trend, time to limit, shifts), unless
    the stored one is less than ``refresh_every_s`` older than ``until``."""
    settings = ctx.settings.forecast
    previous = (
        await forecast_store.latest_forecasts(conn, machine_ids=[machine.id], scope=EVERY_CUSTOMER)
    ).get(machine.id)
    every_s = settings.refresh_every_s
    if previous is not None and outlook_is_fresh(previous.computed_at, until, every_s):
        return
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


def outlook_is_fresh(computed_at: datetime, until: datetime, refresh_every_s: float) -> bool:
    """Whether an outlook computed at ``computed_at`` still stands at ``until``: not yet
    ``refresh_every_s`` old, and not rewound past (late data re-scores from before it)."""
    return computed_at <= until < computed_at + timedelta(seconds=refresh_every_s)
