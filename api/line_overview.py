"""The lines overview: each visible line with its machines' newest state, newest sample
and anomaly score.

Two queries serve any number of lines: one for the newest sample of every
signal of every machine (state and fault among them), one for the newest
anomaly scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from api.access_scope import LinePlacement
from api.schemas.lines import (
    AnomalyBriefPublic,
    CustomerRef,
    LinePublic,
    MachinePublic,
    MachineStatePublic,
    SiteRef,
)
from models.anomaly import AnomalyScore
from models.plant import Machine, SignalKind
from models.readings import LatestValue
from storage import anomaly_store, telemetry_queries
from storage.connections import Connection
from storage.customer_scope import CustomerScope


def _signal_of(machine: Machine, kind: SignalKind) -> str | None:
    """The machine's signal of this kind, as the plant file names it."""
    names = machine.signals_of(kind)
    return names[0] if names else None


async def line_overviews(
    conn: Connection, placements: Sequence[LinePlacement], *, scope: CustomerScope
) -> list[LinePublic]:
    """The given lines with live machine states, in the order given; states read within
    ``scope`` only."""
    machines = [m for p in placements for m in p.line.machines]
    machine_ids = [m.id for m in machines]
    signals = {signal.name for m in machines for signal in m.signals}
    latest = await telemetry_queries.latest_values(
        conn, machine_ids=machine_ids, signals=sorted(signals), scope=scope
    )
    by_series = {(v.machine_id, v.signal): v for v in latest}
    scores = await anomaly_store.latest_scores(conn, machine_ids=machine_ids, scope=scope)
    return [_line(p, by_series, scores) for p in placements]


def _line(
    placement: LinePlacement,
    latest: Mapping[tuple[str, str], LatestValue],
    scores: Mapping[str, AnomalyScore],
) -> LinePublic:
    line, site, customer = placement.line, placement.site, placement.customer
    return LinePublic(
        id=line.id,
        name=line.name,
        model=line.model,
        serial=line.serial,
        acceptance_date=line.acceptance_date,
        warranty_months=line.warranty_months,
        protocol=line.source.protocol,
        customer=CustomerRef(id=customer.id, name=customer.name),
        site=SiteRef(id=site.id, name=site.name, timezone=site.timezone),
        machines=[_machine(m, latest, scores) for m in line.machines],
    )


def _machine(
    machine: Machine,
    latest: Mapping[tuple[str, str], LatestValue],
    scores: Mapping[str, AnomalyScore],
) -> MachinePublic:
    state = latest.get((machine.id, _signal_of(machine, SignalKind.STATE) or ""))
    fault = latest.get((machine.id, _signal_of(machine, SignalKind.FAULT) or ""))
    score = scores.get(machine.id)
    samples = (latest.get((machine.id, signal.name)) for signal in machine.signals)
    newest = [sample.time for sample in samples if sample is not None]
    return MachinePublic(
        id=machine.id,
        name=machine.name,
        model=machine.model,
        serial=machine.serial,
        # A Bad sample carries no value (NaN): the state is then unknown.
        state=MachineStatePublic.of(state, fault)
        if state is not None and math.isfinite(state.value)
        else None,
        anomaly=AnomalyBriefPublic.of(score) if score is not None else None,
        last_sample_at=max(newest, default=None),
    )
