"""The whole trend buckets a process keeps (storage/trend_cache.py): sliced, merged,
bounded, and dropped when the rollups under them change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from storage.trend_cache import Entries, RollupState, Run, TrendCache
from storage.trend_rollups import bucket_index

WIDTH = timedelta(minutes=15)
T0 = datetime(2026, 3, 2, tzinfo=UTC)
MACHINE, SIGNAL = "m1", "speed"


def _run(start: int, values: list[float | None]) -> Run:
    """A signal's run whose every figure is ``values`` (samples: 1 or 0)."""
    texts = [json.dumps(v) for v in values]
    samples = ["0" if v is None else "1" for v in values]
    return Run.of(start, [texts, texts, texts, samples])


def _values(run: Run, start: int, stop: int) -> list[float | None]:
    return list(json.loads(f"[{run.between(start, stop)[0]}]"))


def test_entries_slice_at_any_bounds() -> None:
    entries = Entries.of(["1.5", "null", "-2e-05", "12345.678"])
    assert entries.slice(0, 4) == "1.5,null,-2e-05,12345.678"
    assert entries.slice(1, 3) == "null,-2e-05"
    assert entries.slice(3, 4) == "12345.678"
    assert entries.slice(2, 2) == ""


def test_runs_merge_where_they_overlap_or_touch_and_the_newer_wins() -> None:
    old = _run(10, [1.0, 2.0, 3.0, 4.0])
    newer = _run(12, [30.0, 40.0, 50.0])
    merged = old.merged_with(newer)
    assert (merged.start, merged.count) == (10, 5)
    assert _values(merged, 10, 15) == [1.0, 2.0, 30.0, 40.0, 50.0]
    before = _run(6, [None, 7.0, 8.0, 9.0])
    assert _values(old.merged_with(before), 6, 14) == [None, 7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 4.0]
    assert old.merged_with(_run(11, [0.0])) is old
    far = _run(100, [5.0])
    assert old.merged_with(far) is far


def _generation(cache: TrendCache) -> int:
    known = cache.state_of(MACHINE)
    assert known is not None
    return known[1]


def test_runs_follow_the_rollups_under_them() -> None:
    cache = TrendCache(max_buckets=1000)
    later = T0 + timedelta(hours=1)
    cache.note_state(MACHINE, RollupState(revision=7, complete=later))
    first = bucket_index(T0, WIDTH) - 2  # two buckets before T0, two after
    planned = _generation(cache)
    cache.store(MACHINE, WIDTH, SIGNAL, _run(first, [1.0, 2.0, 3.0, 4.0]), generation=planned)
    assert cache.run(MACHINE, WIDTH, SIGNAL) is not None

    # The rollups reach further: what is kept still holds.
    cache.note_state(MACHINE, RollupState(revision=7, complete=later + timedelta(hours=1)))
    assert cache.run(MACHINE, WIDTH, SIGNAL) is not None

    # Late data pending from T0: the buckets from T0 on go, those before stay, and a
    # read planned before may not put its own back.
    cache.note_state(MACHINE, RollupState(revision=7, complete=T0))
    kept = cache.run(MACHINE, WIDTH, SIGNAL)
    assert kept is not None and (kept.start, kept.count) == (first, 2)
    assert _values(kept, first, first + 2) == [1.0, 2.0]
    cache.store(MACHINE, WIDTH, SIGNAL, _run(first, [9.0] * 4), generation=planned)
    assert cache.run(MACHINE, WIDTH, SIGNAL) is kept

    # An answer read before that (an older revision) changes nothing; the claim's new
    # revision drops the machine's runs.
    cache.note_state(MACHINE, RollupState(revision=6, complete=later))
    assert cache.run(MACHINE, WIDTH, SIGNAL) is kept
    cache.note_state(MACHINE, RollupState(revision=8, complete=later))
    assert cache.run(MACHINE, WIDTH, SIGNAL) is None
    assert cache.held_buckets == 0


def test_a_live_charts_run_moves_with_it_instead_of_growing() -> None:
    cache = TrendCache(max_buckets=1000)
    cache.note_state(MACHINE, RollupState(revision=1, complete=T0))
    for day in range(10):
        cache.store(MACHINE, WIDTH, SIGNAL, _run(day * 10, [1.0] * 20), generation=0)
    run = cache.run(MACHINE, WIDTH, SIGNAL)
    assert run is not None and run.count <= 3 * 20 and run.stop == 9 * 10 + 20


def test_the_least_recently_used_runs_go_first_beyond_the_bound() -> None:
    cache = TrendCache(max_buckets=10)
    cache.note_state(MACHINE, RollupState(revision=1, complete=T0))
    for signal in ("a", "b", "c"):
        cache.store(MACHINE, WIDTH, signal, _run(0, [1.0] * 4), generation=0)
        cache.run(MACHINE, WIDTH, "a")  # "a" is read after each store
    assert cache.run(MACHINE, WIDTH, "b") is None
    assert cache.run(MACHINE, WIDTH, "a") is not None
    assert cache.run(MACHINE, WIDTH, "c") is not None
    assert cache.held_buckets == 8
    cache.store(MACHINE, WIDTH, "huge", _run(0, [1.0] * 11), generation=0)
    assert cache.run(MACHINE, WIDTH, "huge") is None


def test_disabled_keeps_nothing() -> None:
    cache = TrendCache.disabled()
    cache.note_state(MACHINE, RollupState(revision=1, complete=T0))
    cache.store(MACHINE, WIDTH, SIGNAL, _run(0, [1.0]), generation=0)
    assert cache.run(MACHINE, WIDTH, SIGNAL) is None
    assert cache.held_buckets == 0
