"""From seconds and part counts to A, P, Q and OEE: the one place the ratios are taken.

- Planned busy time = running + setup + breakdown + stop + idle (unknown
  time is left out: a data gap is neither credited nor blamed).
- A = running / planned busy, P = ideal output time / running,
  Q = good / (good + reject), OEE = A x P x Q.
- A ratio with nothing to rate (zero denominator) is 0.
- P above 100 % is a data problem (wrong ideal cycle time, double counting):
  it is capped at 1 and flagged, so it never inflates OEE.
- Several shifts (a day, a week, any range) are combined by adding times,
  counts and losses and taking the ratios again; averaging the ratios would
  weigh a short shift like a long one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from models.oee import LossCategory, LossEntry, OeeResult, OeeScope

# Float noise must not flag a machine that ran exactly at its ideal rate.
_PERFORMANCE_TOLERANCE = 1e-9


def add_losses(groups: Iterable[Sequence[LossEntry]]) -> tuple[LossEntry, ...]:
    """The six big losses summed category by category, all six in canonical order."""
    seconds = dict.fromkeys(LossCategory, 0.0)
    counts = dict.fromkeys(LossCategory, 0.0)
    for entries in groups:
        for entry in entries:
            seconds[entry.category] += entry.seconds
            counts[entry.category] += entry.count
    return tuple(LossEntry(c, seconds[c], counts[c]) for c in LossCategory)


@dataclass(frozen=True, slots=True)
class OeeTotals:
    """The seconds per time category, the counts and the losses an OEE figure is made of."""

    running_s: float
    setup_s: float
    breakdown_s: float
    stop_s: float
    idle_s: float
    unknown_s: float
    good: float
    reject: float
    ideal_output_s: float
    losses: tuple[LossEntry, ...] = ()

    @classmethod
    def of(cls, result: OeeResult) -> OeeTotals:
        return cls(
            running_s=result.running_s,
            setup_s=result.setup_s,
            breakdown_s=result.breakdown_s,
            stop_s=result.stop_s,
            idle_s=result.idle_s,
            unknown_s=result.unknown_s,
            good=result.good_count,
            reject=result.reject_count,
            ideal_output_s=result.ideal_output_s,
            losses=result.losses,
        )

    @classmethod
    def added(cls, parts: Sequence[OeeTotals]) -> OeeTotals:
        """Times, counts and losses of several shifts or machines added up."""
        return cls(
            running_s=sum(p.running_s for p in parts),
            setup_s=sum(p.setup_s for p in parts),
            breakdown_s=sum(p.breakdown_s for p in parts),
            stop_s=sum(p.stop_s for p in parts),
            idle_s=sum(p.idle_s for p in parts),
            unknown_s=sum(p.unknown_s for p in parts),
            good=sum(p.good for p in parts),
            reject=sum(p.reject for p in parts),
            ideal_output_s=sum(p.ideal_output_s for p in parts),
            losses=add_losses(p.losses for p in parts),
        )

    @property
    def planned_busy_s(self) -> float:
        return self.running_s + self.setup_s + self.breakdown_s + self.stop_s + self.idle_s


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def rate(
    totals: OeeTotals,
    *,
    scope: OeeScope,
    subject_id: str,
    name: str,
    start: datetime,
    end: datetime,
) -> OeeResult:
    """The OEE result of one subject over ``[start, end)`` from its totals."""
    raw_performance = _ratio(totals.ideal_output_s, totals.running_s)
    flagged = raw_performance > 1 + _PERFORMANCE_TOLERANCE or (
        totals.running_s == 0 and totals.ideal_output_s > 0
    )
    availability = _ratio(totals.running_s, totals.planned_busy_s)
    performance = 1.0 if flagged else raw_performance
    quality = _ratio(totals.good, totals.good + totals.reject)
    return OeeResult(
        scope=scope,
        subject_id=subject_id,
        shift_name=name,
        shift_start=start,
        shift_end=end,
        planned_busy_s=totals.planned_busy_s,
        running_s=totals.running_s,
        setup_s=totals.setup_s,
        breakdown_s=totals.breakdown_s,
        stop_s=totals.stop_s,
        idle_s=totals.idle_s,
        unknown_s=totals.unknown_s,
        good_count=totals.good,
        reject_count=totals.reject,
        ideal_output_s=totals.ideal_output_s,
        availability=availability,
        performance=performance,
        quality=quality,
        oee=availability * performance * quality,
        performance_flagged=flagged,
        losses=add_losses([totals.losses]),
    )


def combine(results: Sequence[OeeResult], *, name: str) -> OeeResult:
    """One figure over several shifts of one subject, e.g. a day or a week.

    ``name`` labels the period ("2026-01-05", "2026-W02"); it spans from the
    first shift's start to the last one's end.
    """
    if not results:
        raise ValueError("no shift results to combine")
    subjects = {(r.scope, r.subject_id) for r in results}
    if len(subjects) > 1:
        raise ValueError(f"results of several subjects cannot be combined: {sorted(subjects)}")
    first = results[0]
    combined = rate(
        OeeTotals.added([OeeTotals.of(r) for r in results]),
        scope=first.scope,
        subject_id=first.subject_id,
        name=name,
        start=min(r.shift_start for r in results),
        end=max(r.shift_end for r in results),
    )
    # A period holding a flagged shift holds its suspect counts too.
    if any(r.performance_flagged for r in results):
        return replace(combined, performance_flagged=True)
    return combined
