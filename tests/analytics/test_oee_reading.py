"""The OEE reader's SQL aggregates against the same arithmetic in numpy.

``machine_tally`` aggregates in the database (cells, ``width_bucket``,
``lag()``); ``analytics.counter_increments.tally_counter`` and
``analytics.data_coverage.seen_spans`` do it sample by sample in memory. On
counters of 16 and 32 bits that roll over, are reset in the middle of a cell,
pause for a gap and have a reading of bad quality, both must agree to the part.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import numpy as np
import pytest

from analytics.counter_increments import tally_counter
from analytics.data_coverage import seen_spans as seen_in_memory
from models.counter_tally import CounterTally
from models.intervals import Interval
from models.plant import CounterBits
from models.readings import Quality, Reading
from models.telemetry_series import CounterSample
from storage.connections import Pool
from storage.machine_tally_reader import machine_tally
from tests.analytics.telemetry_factories import at, insert_readings

pytestmark = pytest.mark.integration

GAP = timedelta(seconds=120)
CELL = timedelta(minutes=1)


def _counter_readings(signal: str, bits: CounterBits) -> list[Reading]:
    """A counter ``bits`` wide read every 7 s from 06:00 to 07:00 at 3 parts a second.

    It starts 1800 short of 2**bits, so it wraps between 06:09:55 and 06:10:02,
    across the slot bound at 06:10; it is reset to 0 at 06:20:04 (inside a minute
    cell), sends nothing 06:40-06:45 (a gap), and one reading at 06:30:06 is
    marked BAD with a nonsense value.
    """
    readings, value, when = [], 2**bits - 1800.0, at(6)
    while when <= at(7):
        if when == at(6, 20, 4):
            value = 9.0
        if not at(6, 40) < when < at(6, 45):
            quality = Quality.BAD if when == at(6, 30, 6) else Quality.GOOD
            shown = 1.0 if quality is Quality.BAD else value % 2**bits
            readings.append(Reading(when, "m1", signal, shown, quality))
        value += 21.0
        when += timedelta(seconds=7)
    return readings


BOUNDS = [
    at(6, 10),
    at(6, 20, 4),  # exactly on the reading that follows the reset
    at(6, 33, 20),
    at(6, 42),  # inside the gap
    at(6, 50, 30),
]


def _by_slot(tally: CounterTally, bounds: np.ndarray) -> np.ndarray:
    """Parts per slot, loose increments spread evenly over their time."""
    edges = np.concatenate([[-np.inf], bounds, [np.inf]])
    parts = tally.slot_parts.copy()
    loose = tally.loose
    for start, end, count in zip(loose.starts, loose.ends, loose.counts, strict=True):
        overlap = np.minimum(edges[1:], end) - np.maximum(edges[:-1], start)
        parts += count * np.clip(overlap, 0, None) / (end - start)
    return parts


@pytest.mark.parametrize(("good_bits", "reject_bits"), [(32, 16), (16, 32)])
async def test_counter_tally_in_sql_matches_numpy(
    db_pool: Pool, good_bits: CounterBits, reject_bits: CounterBits
) -> None:
    # Two counters of different widths in one statement: each wraps at its own modulus.
    widths = {"good_count": good_bits, "reject_count": reject_bits}
    readings = [r for signal, bits in widths.items() for r in _counter_readings(signal, bits)]
    async with db_pool.connection() as conn:
        await insert_readings(conn, readings)
        machine = await machine_tally(
            conn,
            machine_id="m1",
            since=at(6, 5),
            until=at(7),
            counters=widths,
            bounds=BOUNDS,
            max_gap=GAP,
            cell=CELL,
        )
    bounds_s = np.array([b.timestamp() for b in BOUNDS])
    for signal, bits in widths.items():
        tally = machine.counters[signal]
        # In memory: the good readings from the last one before 06:05 on.
        good = [
            CounterSample(r.time, r.value)
            for r in readings
            if r.signal == signal and r.quality is Quality.GOOD
        ]
        samples = [s for s in good if s.time >= at(6, 4, 54)]
        assert samples[0].time < at(6, 5) <= samples[1].time
        falls = [b.time for a, b in itertools.pairwise(samples) if b.value < a.value]
        assert falls == [at(6, 10, 2), at(6, 20, 4)]  # the wrap, the reset
        expected = tally_counter(samples, bounds_s, max_gap_s=GAP.total_seconds(), bits=bits)

        # The SQL hands over readings around a drop one by one, numpy only those across
        # a bound or a gap; shared out by time, every slot gets the same parts.
        np.testing.assert_allclose(_by_slot(tally, bounds_s), _by_slot(expected, bounds_s))
        assert tally.seen == expected.seen
        # Every part made from 06:04:54 to 07:00 is somewhere: 3 a second, but the
        # reset loses the parts between the last reading before it and the reset.
        made = float(tally.slot_parts.sum() + tally.loose.counts.sum())
        lost_at_reset = 21 - 9
        assert made == pytest.approx(
            (samples[-1].time - samples[0].time).total_seconds() * 3 - lost_at_reset
        )


async def test_seen_spans_in_sql_match_all_samples_in_memory(db_pool: Pool) -> None:
    def every(step_s: int, signal: str, start: datetime, end: datetime) -> list[Reading]:
        times = np.arange(0, (end - start).total_seconds(), step_s)
        return [Reading(start + timedelta(seconds=float(t)), "m1", signal, 1.0) for t in times]

    readings = [
        *every(30, "vibration_rms", at(6), at(6, 30)),
        *every(45, "bearing_temp", at(6, 20), at(6, 50)),  # ends 06:49:15
        *every(100, "motor_current", at(6, 52), at(7)),  # 06:52 is > 120 s after 06:49:15
        *every(60, "good_count", at(7, 1), at(7, 5)),  # 140 s after 06:58:40
        Reading(at(7, 30), "m1", "state", 6.0),  # a lone event
    ]
    async with db_pool.connection() as conn:
        await insert_readings(conn, readings)
        tally = await machine_tally(
            conn,
            machine_id="m1",
            since=at(6),
            until=at(8),
            counters={"good_count": 32},
            bounds=[],
            max_gap=GAP,
            cell=CELL,
        )

    expected = seen_in_memory([r.time for r in readings], max_gap_s=120)
    assert list(tally.seen) == expected
    assert [(s.start, s.end) for s in expected] == [
        (at(6), at(6, 49, 15)),
        (at(6, 52), at(6, 58, 40)),
        (at(7, 1), at(7, 4)),
        (at(7, 30), at(7, 30)),
    ]
    # The counter's own runs, joined with the other signals', give the machine's.
    assert tally.counters["good_count"].seen == (Interval(at(7, 1), at(7, 4)),)
