"""What one anomaly refresh works with: its settings, its context, and the
observations of a machine's running time as the live reader delivers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.condition_training import DetectorSettings
from analytics.degradation_forecast import ForecastSettings, SignalLimits
from analytics.model_lifecycle import LifecycleSettings
from analytics.observation_windows import WINDOW_ORIGIN
from analytics.operating_regime import REGIME_SIGNALS, with_regimes
from analytics.recompute_plan import RecomputeSettings
from models.condition_model import SignalDirection
from models.plant import Machine, Plant, SignalKind
from models.states import TimeCategory
from models.telemetry_series import ConditionWindow
from storage.connections import Connection
from storage.running_condition_reader import running_condition_windows


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """How much running a first model needs and how observations are formed."""

    detector: DetectorSettings = field(default_factory=DetectorSettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    # Training needs this much running time as well as enough observations.
    min_training_running: timedelta = timedelta(minutes=30)
    # Observations are never narrower than this, however fast the signals are sampled.
    min_observation_width: timedelta = timedelta(seconds=10)
    settle: timedelta = timedelta(minutes=1)


def running_states(plant: Plant) -> frozenset[int]:
    """The PackML states the plant counts as running (EXECUTE by default)."""
    return frozenset(s for s, c in plant.state_categories.items() if c is TimeCategory.RUNNING)


@dataclass(frozen=True, slots=True)
class RefreshContext:
    """The plant, settings and "now" of one refresh."""

    plant: Plant
    settings: AnomalySettings
    running: frozenset[int]
    now: datetime
    recompute: RecomputeSettings


async def running_windows(
    conn: Connection,
    ctx: RefreshContext,
    machine: Machine,
    *,
    since: datetime,
    until: datetime,
    width: timedelta,
) -> list[ConditionWindow]:
    windows = await running_condition_windows(
        conn,
        machine_id=machine.id,
        signals=[*machine.signals_of(SignalKind.CONDITION), *REGIME_SIGNALS],
        running_states=ctx.running,
        since=since,
        until=until,
        width=width,
        origin=WINDOW_ORIGIN,
    )
    return with_regimes(windows, ctx.plant.products)


def signal_directions(plant: Plant, machine: Machine) -> dict[str, SignalDirection]:
    """Each condition signal's direction: the machine's own setting, else its model's,
    else both."""
    by_model = plant.condition_directions.get(machine.model, {})
    return {
        s.name: s.direction or by_model.get(s.name, SignalDirection.BOTH)
        for s in machine.signals
        if s.kind == SignalKind.CONDITION
    }


def signal_limits(machine: Machine) -> dict[str, SignalLimits]:
    """The plant file's limits of the machine's condition signals."""
    return {
        s.name: SignalLimits(upper=s.limit, lower=s.lower_limit, unit=s.unit)
        for s in machine.signals
        if s.kind == SignalKind.CONDITION
    }
