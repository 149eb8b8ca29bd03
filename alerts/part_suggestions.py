"""Which parts to bring for a fault, ranked from the service history (pure).

The estimate backs off from the most specific evidence to the broadest, each level
smoothed towards the next (Dirichlet smoothing, as language models back off from
long contexts to short ones):

1. past repairs of the **same fault code** on the same machine model,
2. past repairs **sharing driving signals**, each weighted by the overlap of its
   signals with the fault's (Jaccard),
3. a **prior**: the parts the linked knowledge-base entries name, mixed with how often
   each part was used on the model at all, itself smoothed towards "any part that
   fits the model".

A part's score is the estimated share of such faults on which it was needed. A
repair after which the same fault came back on the machine within the repeat
window counts less (it did not fix it). See docs/spare_parts.md, "Suggested parts".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from models.part_suggestions import (
    REPEAT_WINDOW,
    EvidenceLevel,
    FaultSignature,
    KnowledgePrior,
    Outcome,
    PartEvidence,
    PastRepair,
    RankedPart,
    ServiceRecord,
    StoreStock,
)
from models.stock import StockLevel, Store, StoreKind


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """How much each level trusts its own repairs before its fallback: a level with
    ``n`` (weighted) repairs keeps n / (n + strength) of its own estimate."""

    code_strength: float = 2.0
    signal_strength: float = 2.0
    model_strength: float = 4.0
    # The share of the prior the knowledge base's parts get when an entry links.
    knowledge_share: float = 0.5
    # A repair after which the fault came back counts this much as evidence.
    repeated_weight: float = 0.4
    # Repairs whose signals overlap the fault's less than this are not "similar".
    min_signal_overlap: float = 0.2
    # A same-code repair weighs this plus its signal overlap (0..1).
    code_base: float = 0.5
    # A repair sharing signals but showing another fault code counts this much.
    other_code_weight: float = 0.3


DEFAULT_WEIGHTS = RankingWeights()

# A part's estimated share at one level of the back-off.
_Estimate = Callable[[str], float]


def judge_outcomes(records: Sequence[ServiceRecord], *, now: datetime) -> list[PastRepair]:
    """The records that used parts, each judged as of ``now``: repeated when a fault of the
    same kind came back on the machine within the repeat window after the repair, fixed
    when the window passed without one, pending while it is still open."""
    repeats = first_repeats(records)
    return [
        PastRepair(record, outcome_at(record, repeats.get(record.ticket_id), now=now))
        for record in records
        if record.parts
    ]


def first_repeats(records: Sequence[ServiceRecord]) -> dict[int, datetime]:
    """For each record whose fault came back, when it first did (its machine's records in
    time order: a repeat falls within the window after the repair)."""
    by_machine: dict[str, list[ServiceRecord]] = {}
    for record in sorted(records, key=lambda r: r.received_at):
        by_machine.setdefault(record.machine_id, []).append(record)
    repeats: dict[int, datetime] = {}
    for machine_records in by_machine.values():
        for i, record in enumerate(machine_records):
            if not record.parts:
                continue
            for later in machine_records[i + 1 :]:
                if later.received_at > record.repaired_at + REPEAT_WINDOW:
                    break
                if _is_repeat(record, later):
                    repeats[record.ticket_id] = later.received_at
                    break
    return repeats


def outcome_at(record: ServiceRecord, repeated_at: datetime | None, *, now: datetime) -> Outcome:
    """The repair's outcome as far as it is known at ``now``."""
    if repeated_at is not None and repeated_at <= now:
        return Outcome.REPEATED
    if now - record.repaired_at >= REPEAT_WINDOW:
        return Outcome.FIXED
    return Outcome.PENDING


def _is_repeat(repair: ServiceRecord, later: ServiceRecord) -> bool:
    """Whether ``later`` is the same fault back on the machine within the window. A repair
    that knew neither a code nor a signal counts any fault in the window as its repeat."""
    if later.ticket_id == repair.ticket_id:
        return False
    if not repair.repaired_at < later.received_at <= repair.repaired_at + REPEAT_WINDOW:
        return False
    first, second = repair.fault, later.fault
    if not first.fault_codes and not first.signals:
        return True
    return bool(first.fault_codes & second.fault_codes or first.signals & second.signals)


def rank_parts(
    fault: FaultSignature,
    repairs: Sequence[PastRepair],
    knowledge: Sequence[KnowledgePrior] = (),
    *,
    fitting: Collection[str] = (),
    limit: int = 5,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> list[RankedPart]:
    """The parts for the fault, best first. ``repairs``: past repairs (other models are
    ignored); ``fitting``: the catalogue's parts that fit the model (empty: no
    restriction); a part that does not fit is never suggested."""
    same_model = [r for r in repairs if r.record.fault.machine_model == fault.machine_model]
    candidates = _candidates(same_model, knowledge, fitting)
    if not candidates:
        return []
    levels = _Levels.of(fault, same_model, weights)
    scores = _scores(fault, levels, knowledge, candidates, weights)
    ranked = sorted(candidates, key=lambda p: (-scores[p], p))[:limit]
    return [
        _ranked(part, rank, scores[part], fault, levels, knowledge)
        for rank, part in enumerate(ranked, start=1)
    ]


def _candidates(
    repairs: Sequence[PastRepair], knowledge: Sequence[KnowledgePrior], fitting: Collection[str]
) -> list[str]:
    seen = dict.fromkeys(p for r in repairs for p in r.record.parts)
    seen.update(dict.fromkeys(p for entry in knowledge for p in entry.part_numbers))
    if fitting:
        seen.update(dict.fromkeys(fitting))
        return [p for p in seen if p in fitting]
    return list(seen)


@dataclass(frozen=True, slots=True)
class _Weighted:
    repair: PastRepair
    weight: float


@dataclass(frozen=True, slots=True)
class _Levels:
    """The repairs each level counts, with their evidence weight."""

    code: tuple[_Weighted, ...]
    signals: tuple[_Weighted, ...]
    model: tuple[_Weighted, ...]

    @classmethod
    def of(
        cls, fault: FaultSignature, repairs: Sequence[PastRepair], weights: RankingWeights
    ) -> _Levels:
        def trust(repair: PastRepair) -> float:
            return weights.repeated_weight if repair.outcome is Outcome.REPEATED else 1.0

        code, signals = [], []
        for repair in repairs:
            theirs = repair.record.fault
            overlap = _jaccard(fault.signals, theirs.signals)
            if fault.fault_codes & theirs.fault_codes:
                # Several causes share a code: the repair that also shares the signals
                # is the closer one.
                code.append(_Weighted(repair, trust(repair) * (weights.code_base + overlap)))
            if overlap >= weights.min_signal_overlap:
                weight = overlap * trust(repair)
                if fault.fault_codes and theirs.fault_codes and not overlap_codes(fault, theirs):
                    weight *= weights.other_code_weight  # likely another fault
                signals.append(_Weighted(repair, weight))
        model = tuple(_Weighted(r, trust(r)) for r in repairs)
        return cls(tuple(code), tuple(signals), model)


def overlap_codes(a: FaultSignature, b: FaultSignature) -> bool:
    return bool(a.fault_codes & b.fault_codes)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _scores(
    fault: FaultSignature,
    levels: _Levels,
    knowledge: Sequence[KnowledgePrior],
    candidates: Sequence[str],
    weights: RankingWeights,
) -> dict[str, float]:
    uniform = 1.0 / len(candidates)
    model = _smoothed(levels.model, weights.model_strength, lambda _: uniform)
    named = _knowledge_shares(knowledge)
    share = weights.knowledge_share if named else 0.0

    def prior(part: str) -> float:
        return (1 - share) * model(part) + share * named.get(part, 0.0)

    signal_level = _smoothed(levels.signals, weights.signal_strength, prior)
    estimate = (
        _smoothed(levels.code, weights.code_strength, signal_level)
        if fault.fault_codes
        else signal_level
    )
    return {part: estimate(part) for part in candidates}


def _smoothed(counted: Sequence[_Weighted], strength: float, fallback: _Estimate) -> _Estimate:
    """The share of the level's (weighted) repairs that used the part, smoothed towards the
    fallback with ``strength`` pseudo-repairs."""
    total = sum(w.weight for w in counted)
    used: dict[str, float] = {}
    for w in counted:
        for part in dict.fromkeys(w.repair.record.parts):
            used[part] = used.get(part, 0.0) + w.weight

    def estimate(part: str) -> float:
        return (used.get(part, 0.0) + strength * fallback(part)) / (total + strength)

    return estimate


def _knowledge_shares(knowledge: Sequence[KnowledgePrior]) -> dict[str, float]:
    """Each named part's share of the entries' weight (an entry naming two parts gives
    each its full weight: both are usually needed)."""
    total = sum(entry.weight for entry in knowledge if entry.part_numbers)
    shares: dict[str, float] = {}
    for entry in knowledge:
        for part in entry.part_numbers:
            shares[part] = shares.get(part, 0.0) + entry.weight / total
    return {part: min(share, 1.0) for part, share in shares.items()}


def _ranked(
    part: str,
    rank: int,
    score: float,
    fault: FaultSignature,
    levels: _Levels,
    knowledge: Sequence[KnowledgePrior],
) -> RankedPart:
    level, evidence = _evidence(part, levels)
    entries = tuple(e.title for e in knowledge if part in e.part_numbers)
    return RankedPart(
        part_number=part,
        score=round(score, 4),
        evidence=evidence,
        evidence_level=level,
        knowledge_entries=entries,
        reasons=tuple(_reasons(fault, level, evidence, entries)),
        rank=rank,
    )


def _evidence(part: str, levels: _Levels) -> tuple[EvidenceLevel, PartEvidence]:
    """The figures of the closest level whose repairs used the part."""
    for level, counted in (
        (EvidenceLevel.FAULT_CODE, levels.code),
        (EvidenceLevel.SIGNALS, levels.signals),
        (EvidenceLevel.MODEL, levels.model),
    ):
        used = [w.repair for w in counted if part in w.repair.record.parts]
        if used:
            return level, _tally(used)
    return EvidenceLevel.MODEL, PartEvidence()


def _tally(repairs: Iterable[PastRepair]) -> PartEvidence:
    used = fixed = judged = 0
    for repair in repairs:
        used += 1
        if repair.outcome is not Outcome.PENDING:
            judged += 1
        if repair.outcome is Outcome.FIXED:
            fixed += 1
    return PartEvidence(used, fixed, judged)


_WHERE = {
    EvidenceLevel.FAULT_CODE: "earlier repair(s) of the same fault code",
    EvidenceLevel.SIGNALS: "earlier repair(s) with the same driving signals",
    EvidenceLevel.MODEL: "earlier repair(s) of this machine model",
}


def _reasons(
    fault: FaultSignature,
    level: EvidenceLevel,
    evidence: PartEvidence,
    entries: Sequence[str],
) -> list[str]:
    reasons = []
    if evidence.used:
        codes = ", ".join(str(c) for c in sorted(fault.fault_codes))
        where = _WHERE[level].replace("the same fault code", f"fault {codes}")
        reasons.append(f"used on {evidence.used} {where} on {fault.machine_model}")
        if evidence.judged:
            reasons.append(
                f"fixed the fault {evidence.fixed} of {evidence.judged} times"
                f" (no repeat within {REPEAT_WINDOW.days} days)"
            )
        else:
            reasons.append("too recent to tell whether it fixed the fault")
    else:
        reasons.append("no earlier repair of this model used it")
    reasons.extend(f"the knowledge base names it: {title}" for title in entries)
    return reasons


def nearest_stock(
    levels: Iterable[tuple[Store, StockLevel, int]],
    *,
    engineer_login: str | None,
    site_region: str | None,
) -> list[StoreStock]:
    """Where the part can come from, nearest first: the assigned engineer's van, the
    regional store of the site's region, the central store, then any other regional
    store that has it. Other engineers' vans are theirs and left out."""
    found = []
    for store, level, held in levels:
        nearness = _nearness(store, engineer_login, site_region)
        if nearness is None or (nearness == _ELSEWHERE and level.available <= 0 and not held):
            continue
        found.append(
            StoreStock(
                store_id=store.id,
                store_name=store.name,
                store_kind=store.kind.value,
                nearness=nearness,
                available=level.available,
                on_hand=level.on_hand,
                held_for_ticket=held,
            )
        )
    found.sort(key=lambda s: (s.nearness, -s.available, s.store_id))
    return found


_VAN, _REGION, _CENTRAL, _ELSEWHERE = 0, 1, 2, 3


def _nearness(store: Store, engineer_login: str | None, site_region: str | None) -> int | None:
    if store.kind is StoreKind.VAN:
        return _VAN if engineer_login and store.owner_login == engineer_login else None
    if store.kind is StoreKind.CENTRAL:
        return _CENTRAL
    return _REGION if site_region and store.region == site_region else _ELSEWHERE
