"""Vibration, bearing temperature and motor current of one machine, second by second.

All three follow the machine's load (its speed relative to its nominal running
speed), so running at nominal speed gives the machine's healthy levels whatever
product it runs. At standstill vibration and current drop at once and the
bearing cools slowly. A worn bearing adds to all three while the machine turns:
vibration first and most, temperature later, current last and least.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from simulator.scenarios import BearingWear

# Share of the running level left at standstill (neighbouring machines, control power).
_STANDSTILL_VIBRATION = 0.15
_STANDSTILL_CURRENT = 0.12
# A bearing at standstill cools towards this much below its running temperature:
# little and slowly, so that a healthy machine back from a break reads as healthy.
_STANDSTILL_COOLING_C = 1.0
# Warming under load is quicker than passive cooling.
_WARMING_TIME_S = 300.0
_COOLING_TIME_S = 1800.0
# Measurement noise, relative to the healthy level for vibration and current.
_VIBRATION_NOISE = 0.04
_CURRENT_NOISE = 0.015
_TEMPERATURE_NOISE_C = 0.25


@dataclass(frozen=True, slots=True)
class HealthyLevels:
    """A machine's own running levels: no two machines are exactly alike."""

    vibration_mm_s: float
    bearing_temp_c: float
    motor_current_a: float

    @classmethod
    def drawn(cls, rng: random.Random) -> HealthyLevels:
        return cls(
            vibration_mm_s=2.0 * rng.uniform(0.9, 1.1),
            bearing_temp_c=45.0 + rng.uniform(-2.0, 2.0),
            motor_current_a=8.0 * rng.uniform(0.94, 1.06),
        )


def wear_level(wear: BearingWear, t: int) -> float:
    """How far the bearing has worn at second ``t``, from 0 (healthy) to 1 (failing).

    Slow at first, then faster; zero again once the bearing has been replaced.
    """
    onset = wear.onset.total_seconds()
    failure = wear.breakdown_at.total_seconds()
    if t < onset or t >= failure:
        return 0.0
    progress = (t - onset) / (failure - onset)
    return 0.3 * progress + 0.7 * progress**3


def _with_load(standstill_share: float, load: float) -> float:
    """Share of the running level at ``load``, from the standstill share up to 1."""
    return standstill_share + (1.0 - standstill_share) * load


class ConditionSignals:
    """The condition signals of one machine, advanced one simulated second at a time."""

    def __init__(self, levels: HealthyLevels, wear: BearingWear | None, rng: random.Random) -> None:
        self.levels = levels
        self._wear = wear
        self._rng = rng
        self._temperature = levels.bearing_temp_c
        self._warming = 1.0 - math.exp(-1.0 / _WARMING_TIME_S)
        self._cooling = 1.0 - math.exp(-1.0 / _COOLING_TIME_S)
        self.vibration_rms = levels.vibration_mm_s
        self.bearing_temp = levels.bearing_temp_c
        self.motor_current = levels.motor_current_a

    def replace_bearing(self) -> None:
        """A new bearing: no more wear, and the repaired machine starts from cold."""
        self._wear = None
        self._temperature = self.levels.bearing_temp_c - _STANDSTILL_COOLING_C

    def step(self, t: int, load: float) -> None:
        """Advance to second ``t`` with the machine at ``load`` (0 standstill, 1 nominal)."""
        levels = self.levels
        wear = self._wear
        severity = wear_level(wear, t) if wear is not None else 0.0
        gauss = self._rng.gauss

        vibration = levels.vibration_mm_s * _with_load(_STANDSTILL_VIBRATION, load)
        current = levels.motor_current_a * _with_load(_STANDSTILL_CURRENT, load)
        target = levels.bearing_temp_c - _STANDSTILL_COOLING_C * (1.0 - load)
        if wear is not None and severity > 0.0:
            vibration += wear.vibration_rise_mm_s * severity * load
            target += wear.temperature_rise_c * severity**1.5 * load
            current += wear.current_rise_a * severity**2 * load
        rate = self._warming if target > self._temperature else self._cooling
        self._temperature += (target - self._temperature) * rate

        # A damaged bearing also rattles: its vibration gets noisier as it wears.
        vibration_noise = _VIBRATION_NOISE * levels.vibration_mm_s * (1.0 + 2.0 * severity)
        self.vibration_rms = max(0.0, vibration + gauss(0.0, vibration_noise))
        self.motor_current = max(0.0, current + gauss(0.0, _CURRENT_NOISE * levels.motor_current_a))
        self.bearing_temp = self._temperature + gauss(0.0, _TEMPERATURE_NOISE_C)
