"""The suggested-parts benchmark replays a seeded history in time order and beats the
naive reference (the model's most used parts) measured on the same tickets."""

from __future__ import annotations

from bench.part_suggestions import replay
from bench.service_history import generate


def test_the_ranking_beats_the_most_used_parts_on_a_seeded_history() -> None:
    figures = replay(generate(600, seed=3))

    assert figures["tickets"] > 400
    assert figures["hit_rate_top3"] > figures["naive_top3"]
    assert figures["hit_rate_top5"] >= figures["hit_rate_top3"]
    assert figures["hit_rate_top3"] <= figures["ceiling_top3"] + 0.05


def test_the_history_is_the_same_for_the_same_seed() -> None:
    first, again = generate(200, seed=5), generate(200, seed=5)

    assert [t.record for t in first.tickets] == [t.record for t in again.tickets]
    times = [t.record.received_at for t in first.tickets]
    assert times == sorted(times)
