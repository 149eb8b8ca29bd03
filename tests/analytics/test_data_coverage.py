"""Which time the telemetry vouches for, and which is a data gap."""

from __future__ import annotations

from analytics.data_coverage import covered_intervals, seen_spans
from models.intervals import Interval
from tests.analytics.telemetry_factories import at


def test_samples_further_apart_than_the_tolerance_split_into_runs() -> None:
    times = [at(6), at(6, 1), at(6, 2), at(6, 10), at(6, 11)]
    assert seen_spans(times, max_gap_s=120) == [
        Interval(at(6), at(6, 2)),
        Interval(at(6, 10), at(6, 11)),
    ]


def test_the_time_after_the_last_sample_is_covered_until_a_sample_is_overdue() -> None:
    seen = [Interval(at(6), at(6, 2))]
    assert covered_intervals(seen, until=at(6, 3), max_gap_s=120) == [Interval(at(6), at(6, 3))]
    # Ten minutes of silence before "now": the collector is gone, the time is unknown.
    assert covered_intervals(seen, until=at(6, 12), max_gap_s=120) == [Interval(at(6), at(6, 2))]


def test_samples_after_until_only_close_the_span_at_until() -> None:
    seen = [Interval(at(6), at(7)), Interval(at(7, 30), at(8))]
    assert covered_intervals(seen, until=at(6, 30), max_gap_s=120) == [Interval(at(6), at(6, 30))]
    assert covered_intervals([], until=at(6), max_gap_s=120) == []
