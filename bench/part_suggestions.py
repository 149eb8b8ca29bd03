"""Suggested parts benchmark: ``python -m bench.part_suggestions [--quick] [--seed N]``.

On a seeded synthetic service history (``bench.service_history``: a fleet of
machine models with their failure modes, noisy fault codes and signals, wrong
parts that bring the fault back, and an imperfect fault-code manual), every
ticket that used a part is replayed in time order: the suggestions
(``alerts.part_suggestions.rank_parts``) see only the tickets received before it,
judged as of its arrival, and the manual. A hit is a ticket whose main part (the
first part of its report) is among the top 3 / top 5 suggestions. The naive
reference, measured on the same tickets, suggests the parts used most often on
the machine model so far.

Figures (last line, one JSON object): ``hit_rate_top3``, ``hit_rate_top5``,
``naive_top3``, ``naive_top5``, ``hit_rate_top3_with_code`` /
``..._without_code`` (tickets that carry a PLC fault code or not),
``ceiling_top3`` (a perfect diagnosis: the top 3 parts of the ticket's true failure
mode; below 1 because engineers sometimes replace another part), ``tickets``
(replayed) and ``seconds``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from alerts.part_suggestions import first_repeats, outcome_at, rank_parts
from bench.service_history import ServiceHistory, generate
from models.part_suggestions import PastRepair, ServiceRecord

# The first tickets of the history only teach: no figures for them.
WARM_UP_SHARE = 0.1


@dataclass(slots=True)
class Tally:
    tickets: int = 0
    hits: Counter[int] = field(default_factory=Counter)

    def add(self, ranked: Sequence[str], truth: str) -> None:
        self.tickets += 1
        for k in (3, 5):
            if truth in ranked[:k]:
                self.hits[k] += 1

    def rate(self, k: int) -> float:
        return round(self.hits[k] / self.tickets, 4) if self.tickets else 0.0


def naive(model_history: Sequence[ServiceRecord], fitting: Sequence[str]) -> list[str]:
    """The parts used most often on the model so far, then the rest of its parts."""
    used = Counter(p for r in model_history for p in r.parts)
    return sorted(fitting, key=lambda p: (-used[p], p))[:5]


def replay(history: ServiceHistory) -> dict[str, float | int]:
    records = [t.record for t in history.tickets]
    repeats = first_repeats(records)
    ranked_tally, naive_tally, ceiling = Tally(), Tally(), Tally()
    coded, uncoded = Tally(), Tally()
    seen: dict[str, list[ServiceRecord]] = {m: [] for m in history.fleet.models}
    warm_up = int(len(records) * WARM_UP_SHARE)
    for index, ticket in enumerate(history.tickets):
        record = ticket.record
        model = record.fault.machine_model
        earlier = seen[model]
        if index >= warm_up and record.parts:
            fitting = history.fleet.parts[model]
            repairs = [
                PastRepair(r, outcome_at(r, repeats.get(r.ticket_id), now=record.received_at))
                for r in earlier
                if r.parts
            ]
            manual = [
                page
                for code in record.fault.fault_codes
                if (page := history.manual.get((model, code))) is not None
            ]
            ranked = [
                p.part_number
                for p in rank_parts(record.fault, repairs, manual, fitting=fitting, limit=5)
            ]
            truth = record.parts[0]
            ranked_tally.add(ranked, truth)
            naive_tally.add(naive(earlier, fitting), truth)
            ceiling.add(ticket.mode_parts, truth)
            (coded if record.fault.fault_codes else uncoded).add(ranked, truth)
        earlier.append(record)
    return {
        "hit_rate_top3": ranked_tally.rate(3),
        "hit_rate_top5": ranked_tally.rate(5),
        "naive_top3": naive_tally.rate(3),
        "naive_top5": naive_tally.rate(5),
        "hit_rate_top3_with_code": coded.rate(3),
        "hit_rate_top3_without_code": uncoded.rate(3),
        "ceiling_top3": ceiling.rate(3),
        "tickets": ranked_tally.tickets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller history, under a minute")
    parser.add_argument("--seed", type=int, default=7, help="the history's random seed")
    args = parser.parse_args()
    started = time.perf_counter()
    history = generate(2_000 if args.quick else 8_000, seed=args.seed)
    figures: dict[str, float | int] = {**replay(history)}
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
