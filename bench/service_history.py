"""A seeded, synthetic service history to measure the suggested parts on.

Nothing here is fitted to the ranking: every figure is drawn from the seed. A fleet
of machine models, each with its own parts list (plus common parts several models
share), fault codes and condition signals. Each model has failure modes; a mode
has a fault code (several modes share one, as a real manual's code has several
causes), the signals that drive its warning, and a distribution over the parts
that fix it (a main part, alternatives, and on a share of visits a part the
engineer swapped that did not fix it). Tickets arrive over the years on a
random machine of a random mode (common modes more often); a ticket shows its
code only sometimes (a person's request has none) and a noisy part of its
signals. A wrong part makes the fault come back within weeks, as a new ticket.
The knowledge base's fault-code pages name each code's most common main part,
and are sometimes wrong or missing, as manuals are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.part_suggestions import FaultSignature, KnowledgePrior, ServiceRecord

START = datetime(2022, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HistoryShape:
    """How big and how noisy the fleet and its history are."""

    models: int = 6
    machines_per_model: int = 5
    parts_per_model: int = 30
    common_parts: int = 12
    codes_per_model: int = 9
    signals_per_model: int = 8
    modes_per_model: int = 14
    years: float = 3.0
    # Share of tickets that carry the PLC fault code; of a mode's signals each is seen
    # with this chance; a stray signal joins with this chance.
    code_seen: float = 0.65
    signal_seen: float = 0.7
    stray_signal: float = 0.2
    # Chance that the engineer replaces a part that is not the fault's (misdiagnosis).
    wrong_part: float = 0.12
    # Chance of a second, incidental part on a visit.
    second_part: float = 0.15
    # Chance the fault comes back within the repeat window: after a wrong part / a right one.
    repeat_after_wrong: float = 0.6
    repeat_after_right: float = 0.05
    # Chance a code's manual page is missing, and that it names a wrong part.
    manual_missing: float = 0.3
    manual_wrong: float = 0.15


@dataclass(frozen=True, slots=True)
class FailureMode:
    machine_model: str
    fault_code: int
    signals: tuple[str, ...]
    parts: tuple[str, ...]
    part_weights: tuple[float, ...]
    frequency: float


@dataclass(frozen=True, slots=True)
class Fleet:
    models: tuple[str, ...]
    machines: dict[str, tuple[str, ...]]
    parts: dict[str, tuple[str, ...]]
    signals: dict[str, tuple[str, ...]]
    modes: tuple[FailureMode, ...]


@dataclass(frozen=True, slots=True)
class GeneratedTicket:
    """A service record, and the parts that fix its failure mode, likeliest first (what a
    perfect diagnosis would suggest: the ceiling of the figures)."""

    record: ServiceRecord
    mode_parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServiceHistory:
    fleet: Fleet
    tickets: tuple[GeneratedTicket, ...]
    # The knowledge base per (machine model, fault code).
    manual: dict[tuple[str, int], KnowledgePrior]


def generate(
    tickets: int, *, seed: int = 7, shape: HistoryShape = HistoryShape()
) -> ServiceHistory:
    """About ``tickets`` tickets (repeats included), oldest first."""
    rng = random.Random(seed)
    fleet = _fleet(rng, shape)
    generated = _tickets(rng, fleet, shape, tickets)
    return ServiceHistory(fleet, generated, _manual(rng, fleet, shape))


def _fleet(rng: random.Random, shape: HistoryShape) -> Fleet:
    models = tuple(f"M{i + 1}-{rng.randint(2, 40)}" for i in range(shape.models))
    common = tuple(f"COMMON-{i:02d}" for i in range(shape.common_parts))
    machines, parts, signals, modes = {}, {}, {}, []
    for model in models:
        machines[model] = tuple(f"{model}-m{j}" for j in range(shape.machines_per_model))
        own = [f"{model}-P{k:02d}" for k in range(shape.parts_per_model)]
        shared = rng.sample(common, k=min(len(common), shape.parts_per_model // 5))
        parts[model] = tuple(own + shared)
        signals[model] = tuple(f"sig{k}" for k in range(shape.signals_per_model))
        codes = rng.sample(range(100, 400), k=shape.codes_per_model)
        for _ in range(shape.modes_per_model):
            modes.append(_mode(rng, model, codes, parts[model], signals[model]))
    return Fleet(models, machines, parts, signals, tuple(modes))


def _mode(
    rng: random.Random,
    model: str,
    codes: list[int],
    parts: tuple[str, ...],
    signals: tuple[str, ...],
) -> FailureMode:
    fixers = rng.sample(parts, k=rng.choice((1, 2, 2, 3)))
    main = rng.uniform(0.55, 0.9)
    rest = [rng.random() for _ in fixers[1:]]
    weights = [main] + [(1 - main) * r / sum(rest) for r in rest] if rest else [1.0]
    return FailureMode(
        machine_model=model,
        fault_code=rng.choice(codes),
        signals=tuple(rng.sample(signals, k=rng.randint(1, 3))),
        parts=tuple(fixers),
        part_weights=tuple(weights),
        frequency=rng.paretovariate(1.2),
    )


def _tickets(
    rng: random.Random, fleet: Fleet, shape: HistoryShape, count: int
) -> tuple[GeneratedTicket, ...]:
    span = timedelta(days=365 * shape.years)
    frequencies = [m.frequency for m in fleet.modes]
    pending: list[tuple[datetime, FailureMode, str]] = []
    for _ in range(count):
        at = START + span * rng.random()
        mode = rng.choices(fleet.modes, weights=frequencies)[0]
        pending.append((at, mode, rng.choice(fleet.machines[mode.machine_model])))
    pending.sort(key=lambda p: p[0])
    made: list[GeneratedTicket] = []
    ids = iter(range(1, 10 * count + 10))
    while pending:
        at, mode, machine = pending.pop(0)
        ticket, repeat_in = _ticket(rng, fleet, shape, next(ids), at, mode, machine)
        made.append(ticket)
        if repeat_in is not None:
            _insert(pending, (at + repeat_in, mode, machine))
        if len(made) >= count:
            break
    return tuple(made)


def _insert(
    pending: list[tuple[datetime, FailureMode, str]], item: tuple[datetime, FailureMode, str]
) -> None:
    index = next((i for i, p in enumerate(pending) if p[0] > item[0]), len(pending))
    pending.insert(index, item)


def _ticket(
    rng: random.Random,
    fleet: Fleet,
    shape: HistoryShape,
    ticket_id: int,
    at: datetime,
    mode: FailureMode,
    machine: str,
) -> tuple[GeneratedTicket, timedelta | None]:
    true_part = rng.choices(mode.parts, weights=mode.part_weights)[0]
    model_parts = fleet.parts[mode.machine_model]
    wrong = rng.random() < shape.wrong_part
    used = [rng.choice(model_parts) if wrong else true_part]
    if rng.random() < shape.second_part:
        extra = rng.choice(model_parts)
        if extra not in used:
            used.append(extra)
    codes = frozenset({mode.fault_code}) if rng.random() < shape.code_seen else frozenset()
    seen = {s for s in mode.signals if rng.random() < shape.signal_seen}
    if rng.random() < shape.stray_signal:
        seen.add(rng.choice(fleet.signals[mode.machine_model]))
    signature = FaultSignature(mode.machine_model, codes, frozenset(seen))
    repaired = at + timedelta(hours=rng.uniform(2, 30))
    record = ServiceRecord(ticket_id, machine, signature, tuple(used), at, repaired)
    fixed = used[0] in mode.parts
    chance = shape.repeat_after_right if fixed else shape.repeat_after_wrong
    repeat_in = timedelta(days=rng.uniform(2, 28)) if rng.random() < chance else None
    by_weight = sorted(zip(mode.part_weights, mode.parts, strict=True), reverse=True)
    return GeneratedTicket(record, tuple(p for _, p in by_weight)), repeat_in


def _manual(
    rng: random.Random, fleet: Fleet, shape: HistoryShape
) -> dict[tuple[str, int], KnowledgePrior]:
    """One fault-code page per (model, code): the main part of the code's most frequent mode."""
    best: dict[tuple[str, int], FailureMode] = {}
    for mode in fleet.modes:
        key = (mode.machine_model, mode.fault_code)
        if key not in best or mode.frequency > best[key].frequency:
            best[key] = mode
    manual = {}
    for entry_id, (key, mode) in enumerate(sorted(best.items()), start=1):
        if rng.random() < shape.manual_missing:
            continue
        named = mode.parts[0]
        if rng.random() < shape.manual_wrong:
            named = rng.choice(fleet.parts[mode.machine_model])
        title = f"{key[0]} fault {key[1]}"
        manual[key] = KnowledgePrior(entry_id, title, (named,), 1.0)
    return manual
