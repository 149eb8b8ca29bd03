"""The analytics cycle: OEE of the shifts that need it, anomaly scores of the windows that do.

The demo loop calls ``run_analytics_cycle`` every few seconds with ``now`` from
``latest_telemetry_time``. Telemetry carries simulated plant time, which may
run ahead of the wall clock, so the wall clock never decides what "now" is.
OEE is recomputed incrementally: the current shift of every line, and the
shifts late data reached (``analytics.oee_refresh``). Anomaly scoring scores the
windows completed since the last cycle and again those late data reached
(``analytics.anomaly_refresh``). Both learn of late data from the telemetry
writer's marks, each from a copy of its own, so neither takes the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analytics.anomaly_refresh import refresh_anomaly
from analytics.condition_refresh_context import AnomalySettings
from analytics.oee_calculation import DEFAULT_MAX_SAMPLE_GAP_S, OeeRules
from analytics.oee_refresh import refresh_oee
from analytics.recompute_plan import RecomputeSettings
from models.condition_model import LearningProgress
from models.plant import Line, Plant
from storage import plant_clock
from storage.connections import Pool


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """Tunables of the cycle; the defaults suit ~30 s sampling."""

    max_sample_gap_s: float = DEFAULT_MAX_SAMPLE_GAP_S
    recompute: RecomputeSettings = field(default_factory=RecomputeSettings)
    anomaly: AnomalySettings = field(default_factory=AnomalySettings)


@dataclass(frozen=True, slots=True)
class AnalyticsReport:
    """What one cycle did, for the log and the demo's status line."""

    now: datetime
    oee_results: int
    models_trained: tuple[str, ...]
    machines_learning: tuple[LearningProgress, ...]
    scores_stored: int
    oee_shifts: int = 0
    late_data_machines: tuple[str, ...] = ()
    rescored_machines: tuple[str, ...] = ()


async def latest_telemetry_time(pool: Pool) -> datetime | None:
    """The newest telemetry time in the database (simulated plant time), or None."""
    async with pool.connection() as conn:
        return await plant_clock.latest_telemetry_time(conn)


async def line_now(pool: Pool, line: Line) -> datetime | None:
    """The line's own "now": the newest sample of its machines' signals, or None."""
    pairs = [(m.id, s.name) for m in line.machines for s in m.signals]
    async with pool.connection() as conn:
        return await plant_clock.latest_time_of(conn, signals=pairs)


async def run_analytics_cycle(
    pool: Pool,
    plant: Plant,
    *,
    now: datetime,
    settings: AnalyticsSettings | None = None,
    line: Line | None = None,
) -> AnalyticsReport:
    """Recompute the OEE that changed and score the anomaly windows that completed or
    that late data touched, as of ``now``, for the whole plant or for one ``line``."""
    settings = settings or AnalyticsSettings()
    rules = OeeRules.from_plant(plant, max_sample_gap_s=settings.max_sample_gap_s)
    line_ids = [line.id] if line is not None else None
    machine_ids = [m.id for m in line.machines] if line is not None else None
    oee = await refresh_oee(
        pool, plant, rules, now=now, settings=settings.recompute, line_ids=line_ids
    )
    async with pool.connection() as conn:
        progress = await refresh_anomaly(
            conn,
            plant,
            settings.anomaly,
            now=now,
            recompute=settings.recompute,
            machine_ids=machine_ids,
        )
    return AnalyticsReport(
        now=now,
        oee_results=oee.results_stored,
        models_trained=progress.models_trained,
        machines_learning=progress.still_learning,
        scores_stored=progress.scores_stored,
        oee_shifts=oee.shifts_recomputed,
        late_data_machines=oee.late_machines,
        rescored_machines=progress.rescored_machines,
    )
