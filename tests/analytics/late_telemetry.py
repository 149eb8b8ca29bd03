"""Test data for late telemetry: a machine running all morning, with a fault over
chosen spans, and the rows a collector holds back to send later."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from models.intervals import Interval
from models.readings import Reading
from storage.connections import Pool
from storage.telemetry_writer import write_readings
from tests.analytics.telemetry_factories import (
    NORMAL,
    ConditionModel,
    at,
    condition_model,
    running,
    script_readings,
)

# The machines run from 04:58. A first model needs 120 observations (30 s wide) past
# the warm-up of 30 after the first sample: complete by 06:14. A cycle at 06:30
# learns it.
FIRST_MODEL_AT = at(6, 30)
# Signals a fault pushes up, by how many of their normal sigmas: a window of
# fault alone scores about sqrt(5**2 + 5**2) ~ 7, far above the threshold of 3.
FAULT_SIGMAS = {"vibration_rms": 5.0, "bearing_temp": 5.0}
CONDITION_SIGNALS = frozenset(NORMAL)


def faulty_condition(seed: int, faults: Sequence[Interval] = ()) -> ConditionModel:
    """Healthy noisy condition signals, pushed up by ``FAULT_SIGMAS`` inside ``faults``."""
    healthy = condition_model(np.random.default_rng(seed))

    def sample(when: datetime) -> dict[str, float]:
        values = dict(healthy(when))
        if any(f.start <= when < f.end for f in faults):
            for signal, sigmas in FAULT_SIGMAS.items():
                values[signal] += sigmas * NORMAL[signal][1]
        return values

    return sample


def running_morning(
    machine_id: str, *, seed: int, until: datetime, faults: Sequence[Interval] = ()
) -> list[Reading]:
    """Telemetry of a machine running from 04:58 to ``until``, sampled every 30 s."""
    return script_readings(
        machine_id,
        [running(at(4, 58), until)],
        products=[(at(4, 58), 1)],
        condition=faulty_condition(seed, faults),
    )


def held_back(
    readings: Sequence[Reading], keep: Callable[[Reading], bool]
) -> tuple[list[Reading], list[Reading]]:
    """The rows written on time and those a collector holds back (where ``keep`` holds)."""
    return [r for r in readings if not keep(r)], [r for r in readings if keep(r)]


def within(span: Interval, *, signals: frozenset[str] | None = None) -> Callable[[Reading], bool]:
    """Rows timed in ``span``, of ``signals`` only when given."""
    return lambda r: span.start <= r.time < span.end and (signals is None or r.signal in signals)


async def write(pool: Pool, readings: Sequence[Reading]) -> None:
    """Store a batch with the collectors' writer, which marks it for analysis."""
    async with pool.connection() as conn:
        await write_readings(conn, readings)
