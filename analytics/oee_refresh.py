"""Recomputing and storing OEE, stops and line figures for the shifts that need it.

Each cycle:

1. takes the telemetry writer's late-data marks (``telemetry_pending_analysis``,
   lowered to the oldest sample time of every batch) into the recompute queue,
   clearing them in one short transaction (``storage.oee_store.claim_late_data``);
2. per line: recomputes the current shift, and every shift from the oldest
   late sample of its machines (minus the lookback) on
   (``analytics.recompute_plan``), all machines of the line, so its line
   figures stay consistent;
3. stores each piece of shifts in one transaction: machine and line results,
   the machines' stops, and the queue's progress; a line leaves the queue once
   all its shifts are stored. A cycle that fails leaves the queue as it was.

Machines of a line are read concurrently, each on a connection of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from analytics.line_oee import line_results
from analytics.oee_calculation import (
    MachineShift,
    OeeRules,
    machine_shifts,
    plan_machine,
    state_history_span,
)
from analytics.recompute_plan import RecomputeSettings, chunked, shifts_to_recompute
from analytics.shift_calendar import (
    ShiftWindow,
    planned_downtime_intervals,
    shift_windows,
    with_planned_downtime,
)
from models.intervals import Interval
from models.oee import OeeResult
from models.oee_settings import PlannedDowntime
from models.plant import Line, Machine, Plant, Site
from storage.connections import Pool
from storage.downtime_store import replace_downtimes
from storage.machine_event_reader import machine_events
from storage.machine_tally_reader import GOOD_SIGNAL, REJECT_SIGNAL, machine_tally
from storage.maintenance_store import planned_windows
from storage.oee_store import claim_late_data, forget_recomputed, recomputed, upsert_oee


@dataclass(frozen=True, slots=True)
class OeeProgress:
    """What one OEE refresh did."""

    results_stored: int
    shifts_recomputed: int
    late_machines: tuple[str, ...]


def _calendar_planned(
    site: Site, downtime: Sequence[Interval], *, since: datetime, until: datetime
) -> list[Interval]:
    """The calendar's planned time in ``[since, until)``."""
    windows = shift_windows(site.calendar, ZoneInfo(site.timezone), since=since, until=until)
    return [
        part
        for window in with_planned_downtime(windows, downtime)
        for span in window.planned_intervals(until=until)
        if (part := span.clip(since, until)) is not None
    ]


async def _machine_figures(
    pool: Pool,
    site: Site,
    downtime: Sequence[Interval],
    machine: Machine,
    shifts: Sequence[ShiftWindow],
    rules: OeeRules,
    *,
    now: datetime,
) -> list[MachineShift]:
    history_start, history_end = state_history_span(shifts, now)
    since, until = rules.reading_span(shifts, now)
    async with pool.connection() as conn:
        events = await machine_events(
            conn, machine_id=machine.id, since=history_start, until=history_end
        )
        plan = plan_machine(events, shifts, rules, history_start=history_start, data_end=now)
        tally = await machine_tally(
            conn,
            machine_id=machine.id,
            since=since,
            until=until,
            counters={c: machine.counter_bits(c) for c in (GOOD_SIGNAL, REJECT_SIGNAL)},
            bounds=plan.slots.bounds,
            max_gap=rules.max_sample_gap,
            cell=rules.count_cell,
        )
    first_run = plan.runs[0].start if plan.runs else shifts[0].start
    return machine_shifts(
        plan,
        seen=tally.seen,
        good=tally.counters[GOOD_SIGNAL],
        reject=tally.counters[REJECT_SIGNAL],
        rules=rules,
        calendar_planned=_calendar_planned(site, downtime, since=first_run, until=shifts[0].start),
    )


async def _store(
    pool: Pool,
    line: Line,
    shifts: Sequence[ShiftWindow],
    figures: Sequence[Sequence[MachineShift]],
    *,
    late_machines: Sequence[str],
) -> int:
    """Store one piece of shifts of a line; returns the results stored."""
    results: list[OeeResult] = [f.result() for per_machine in figures for f in per_machine]
    for by_shift in zip(*figures, strict=True):
        results += line_results(line.id, by_shift)
    async with pool.connection() as conn, conn.transaction():
        await upsert_oee(conn, results=results)
        for machine, per_machine in zip(line.machines, figures, strict=True):
            await replace_downtimes(
                conn,
                machine_id=machine.id,
                shift_starts=[s.start for s in shifts],
                downtimes=[d for f in per_machine for d in f.downtimes],
            )
        if late_machines:
            await recomputed(conn, machine_ids=late_machines, until=shifts[-1].end)
    return len(results)


async def _maintenance_downtime(
    pool: Pool, line: Line, *, since: datetime, until: datetime
) -> tuple[list[Interval], dict[str, list[Interval]]]:
    """Planned maintenance windows as planned downtime (DOMAIN.md: no availability loss):
    of the whole line for work that stops it, else of the machine worked on."""
    async with pool.connection() as conn:
        windows = await planned_windows(conn, line_id=line.id, since=since, until=until)
    line_stops = [Interval(w.start, w.end) for w in windows if w.stops_line]
    machine_stops: dict[str, list[Interval]] = {m.id: [] for m in line.machines}
    for w in windows:
        if not w.stops_line and w.machine_id in machine_stops:
            machine_stops[w.machine_id].append(Interval(w.start, w.end))
    return line_stops, machine_stops


async def _refresh_line(
    pool: Pool,
    site: Site,
    line: Line,
    rules: OeeRules,
    *,
    now: datetime,
    queue: dict[str, datetime],
    settings: RecomputeSettings,
    planned_downtime: Sequence[PlannedDowntime],
) -> tuple[int, int, list[str]]:
    late = [m.id for m in line.machines if m.id in queue]
    zone = ZoneInfo(site.timezone)
    downtime = planned_downtime_intervals(planned_downtime, zone, line_id=line.id)
    line_stops, machine_stops = await _maintenance_downtime(
        pool, line, since=now - settings.horizon - rules.lookback, until=now
    )
    downtime += line_stops
    shifts = shifts_to_recompute(
        site.calendar,
        zone,
        now=now,
        late_since=min((queue[m] for m in late), default=None),
        lookback=rules.lookback,
        settings=settings,
        planned_downtime=downtime,
    )
    stored = 0
    for piece in chunked(shifts, settings.chunk):
        figures = await asyncio.gather(
            *(
                _machine_figures(
                    pool,
                    site,
                    [*downtime, *machine_stops[m.id]],
                    m,
                    with_planned_downtime(piece, machine_stops[m.id]),
                    rules,
                    now=now,
                )
                for m in line.machines
            )
        )
        stored += await _store(pool, line, piece, figures, late_machines=late)
    if late:
        async with pool.connection() as conn:
            await forget_recomputed(conn, machine_ids=late)
    return stored, len(shifts), late


async def refresh_oee(
    pool: Pool,
    plant: Plant,
    rules: OeeRules,
    *,
    now: datetime,
    settings: RecomputeSettings | None = None,
    line_ids: Collection[str] | None = None,
) -> OeeProgress:
    """Recompute what late data and the passing of time changed, as of ``now``, for
    every line or for ``line_ids`` (this process's share)."""
    settings = settings or RecomputeSettings()
    async with pool.connection() as conn:
        queue = await claim_late_data(conn)
    stored, shifts, late_machines = 0, 0, []
    for _, site, line in plant.lines():
        if line_ids is not None and line.id not in line_ids:
            continue
        line_stored, line_shifts, late = await _refresh_line(
            pool,
            site,
            line,
            rules,
            now=now,
            queue=queue,
            settings=settings,
            planned_downtime=plant.planned_downtime,
        )
        stored += line_stored
        shifts += line_shifts
        late_machines += late
    # Telemetry of machines the plant file no longer names has no shifts to land in.
    strangers = sorted(set(queue) - {p.machine.id for p in plant.placements()})
    if strangers:
        async with pool.connection() as conn:
            await forget_recomputed(conn, machine_ids=strangers)
    return OeeProgress(stored, shifts, tuple(late_machines))
