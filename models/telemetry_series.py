"""Typed telemetry series as the storage reader delivers them to the analytics.

Plain records, no behaviour: the storage layer fills them from SQL and the pure
OEE and scoring functions read them, so neither side sees the other's insides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.intervals import Interval


@dataclass(frozen=True, slots=True)
class StateChange:
    """The machine entered PackML ``state`` at ``time`` and stays there until the next."""

    time: datetime
    state: int


@dataclass(frozen=True, slots=True)
class ProductChange:
    """From ``time`` on the machine runs the product with this code."""

    time: datetime
    code: int


@dataclass(frozen=True, slots=True)
class FaultChange:
    """From ``time`` on the machine reports this fault code (0: no fault)."""

    time: datetime
    code: int


@dataclass(frozen=True, slots=True)
class MachineEvents:
    """State, fault-code and product changes of one machine over a stretch of time.

    Each series starts with the change in force at the stretch's start, when
    there is one, at the time it really happened.
    """

    machine_id: str
    states: tuple[StateChange, ...]
    faults: tuple[FaultChange, ...]
    products: tuple[ProductChange, ...]


@dataclass(frozen=True, slots=True)
class CounterSample:
    """A raw PLC counter reading: monotonic, but it may reset or wrap.

    It wraps at 2**16 or 2**32, the counter's width in the plant file.
    """

    time: datetime
    value: float


@dataclass(frozen=True, slots=True)
class ConditionSample:
    """One reading of a condition signal (vibration, temperature, current)."""

    time: datetime
    signal: str
    value: float


@dataclass(frozen=True, slots=True)
class SignalMean:
    """The average of one condition signal over a window, and how many samples made it."""

    signal: str
    mean: float
    samples: int


@dataclass(frozen=True, slots=True)
class ConditionWindow:
    """Condition signals of one machine averaged over ``[start, end)`` of running time."""

    machine_id: str
    start: datetime
    end: datetime
    signals: tuple[SignalMean, ...]
    # The operating regime (product, speed band) the machine ran in; "*" when unknown.
    regime: str = "*"


@dataclass(frozen=True, slots=True)
class MachineSeries:
    """Every sample the OEE of one machine over one stretch of time is made of.

    The storage layer never builds one: it hands over ``MachineEvents``, the
    seen spans and counter tallies aggregated in SQL. Tests and benchmarks
    build one to run the same arithmetic on samples held in memory.

    Each series includes the last sample before the stretch when there is one,
    so the state, product and counter level at its start are known. ``seen``
    holds the spans in which samples of any signal kept coming (see
    ``analytics.data_coverage``).
    """

    machine_id: str
    states: tuple[StateChange, ...]
    products: tuple[ProductChange, ...]
    good: tuple[CounterSample, ...]
    reject: tuple[CounterSample, ...]
    seen: tuple[Interval, ...]
    faults: tuple[FaultChange, ...] = ()

    def events(self) -> MachineEvents:
        return MachineEvents(self.machine_id, self.states, self.faults, self.products)
