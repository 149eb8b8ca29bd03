"""Which product a line runs and when it changes over, drawn from the line's own seed.

Every machine of a line builds its own plan from the same seed key, so all of
them change over at the same seconds to the same product without sharing state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from models.states import PackMLState
from simulator.scenarios import Changeovers, whole_seconds


@dataclass(frozen=True, slots=True)
class Changeover:
    """One changeover, in seconds since the simulation start."""

    stopped_at: int
    resetting_at: int
    starting_at: int
    done_at: int
    product: int

    def phase_at(self, t: int) -> PackMLState | None:
        if t < self.stopped_at or t >= self.done_at:
            return None
        if t < self.resetting_at:
            return PackMLState.STOPPED
        if t < self.starting_at:
            return PackMLState.RESETTING
        return PackMLState.STARTING


class ChangeoverPlan:
    """The product a line runs at each second and its changeover phases.

    Queries must not go back in time; changeovers are drawn one at a time.
    """

    def __init__(
        self, settings: Changeovers | None, product_codes: tuple[int, ...], seed_key: str
    ) -> None:
        if not product_codes:
            raise ValueError("the plant file lists no products")
        self._settings = settings or Changeovers()
        self._codes = product_codes
        self._rng = random.Random(seed_key)
        self._product = self._rng.choice(product_codes)
        self._next: Changeover | None = None
        # With changeovers off (or one product only) the line keeps its first product.
        if settings is not None and len(product_codes) > 1:
            self._next = self._draw(whole_seconds(settings.first_after))

    def at(self, t: int) -> tuple[PackMLState | None, int]:
        """The changeover phase at second ``t`` (None outside changeovers) and the product."""
        while self._next is not None and t >= self._next.resetting_at:
            self._product = self._next.product
            if t < self._next.done_at:
                break
            self._next = self._draw(self._next.stopped_at + whole_seconds(self._settings.every))
        phase = self._next.phase_at(t) if self._next is not None else None
        return phase, self._product

    def _draw(self, planned_at: int) -> Changeover:
        settings = self._settings
        jitter = whole_seconds(settings.jitter)
        stopped_at = max(0, planned_at + self._rng.randint(-jitter, jitter))
        duration = self._rng.randint(
            whole_seconds(settings.shortest), whole_seconds(settings.longest)
        )
        # Most of a changeover is the mechanical work while STOPPED.
        resetting_at = stopped_at + max(1, round(duration * 0.6))
        starting_at = resetting_at + max(1, round(duration * 0.25))
        done_at = max(starting_at + 1, stopped_at + duration)
        others = [code for code in self._codes if code != self._product]
        return Changeover(stopped_at, resetting_at, starting_at, done_at, self._rng.choice(others))
