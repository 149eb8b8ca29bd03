"""Parts between raw counter readings: growth, wraps at the counter's width, resets."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from analytics.counter_increments import counter_delta, counter_increments
from models.plant import CounterBits
from models.telemetry_series import CounterSample
from tests.analytics.telemetry_factories import at


@pytest.mark.parametrize(
    ("bits", "previous", "current", "parts"),
    [
        pytest.param(32, 100, 150, 50, id="32-bit growth"),
        pytest.param(32, 2**32 - 20, 30, 50, id="32-bit wrap"),
        pytest.param(32, 2**32 - 60_000, 5_000, 65_000, id="32-bit wrap of 65000 parts"),
        pytest.param(32, 1_000_000, 40, 40, id="32-bit reset"),
        # A 32-bit counter falling from near 2**16 was reset, it did not wrap.
        pytest.param(32, 65_526, 40, 40, id="32-bit reset from near 2**16"),
        # A jump down to a large value (a replaced PLC, a restored backup) made no
        # parts; counting the new value would report 1.6 billion of them.
        pytest.param(32, 1_607_635_300, 1_607_616_530, 0, id="32-bit jump"),
        pytest.param(16, 100, 150, 50, id="16-bit growth"),
        pytest.param(16, 65_526, 40, 50, id="16-bit wrap"),
        pytest.param(16, 65_000, 3_464, 4_000, id="16-bit wrap of 4000 parts"),
        pytest.param(16, 30_000, 40, 40, id="16-bit reset"),
        # High in the range but 15576 parts from the top: a reset, not a wrap.
        pytest.param(16, 50_000, 40, 40, id="16-bit reset from high up"),
        pytest.param(16, 30_000, 20_000, 0, id="16-bit jump"),
    ],
)
def test_parts_between_two_readings(
    bits: CounterBits, previous: float, current: float, parts: float
) -> None:
    assert counter_delta(previous, current, bits=bits) == parts


def test_a_16_bit_counter_wraps_and_is_reset_without_losing_parts() -> None:
    # 500 parts every 10 s: it wraps through 2**16 between the second and third reading,
    # and is reset to 0 right after the fifth (the sixth reads what came since).
    values = [65_000, 65_500, 464, 964, 1_464, 500, 1_000]
    samples = [CounterSample(at(6) + timedelta(seconds=10 * i), v) for i, v in enumerate(values)]

    increments = counter_increments(samples, bits=16)

    np.testing.assert_array_equal(increments.counts, [500] * 6)
    assert increments.starts[0] == at(6).timestamp()
